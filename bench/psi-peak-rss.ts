/**
 * Peak resident memory of this process over a stretch of work, sampled every 100 ms. The process
 * holds both nodes, their worker threads and, on PGlite, both databases, so this is the memory of
 * both parties together. A sample cannot land while the main thread is busy in one long synchronous
 * call, so the figure is a lower bound; process.resourceUsage().maxRSS is the kernel's exact
 * high-water mark, but for the whole process lifetime.
 */
const SAMPLE_MS = 100;

export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, SAMPLE_MS);
  try {
    const value = await work();
    sample();
    return { value, peakRssMb: Math.round(peak / 1_048_576) };
  } finally {
    clearInterval(timer);
  }
}
