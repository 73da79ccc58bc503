/** A fixed-window call budget, as platforms quote theirs (calls per minute): the wait once it is spent. */

export class RateBudget {
  private budget: { calls: number; windowMs: number } | undefined;
  private windowStart = 0;
  private used = 0;

  constructor(private readonly now: () => number) {}

  limit(calls: number, windowSeconds: number): void {
    this.budget = { calls, windowMs: windowSeconds * 1000 };
    this.windowStart = this.now();
    this.used = 0;
  }

  /** Counts a call; undefined when it is within budget, else the whole seconds until the window reopens. */
  take(): number | undefined {
    if (!this.budget) return undefined;
    const now = this.now();
    if (now - this.windowStart >= this.budget.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.budget.calls) {
      this.used++;
      return undefined;
    }
    return Math.max(1, Math.ceil((this.windowStart + this.budget.windowMs - now) / 1000));
  }
}
