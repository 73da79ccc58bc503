/**
 * The port through which core reaches the ad-platform connectors: the composition roots (api/,
 * cli/, the bench) hand core a registry built from connectors/index.ts, so core never imports them.
 */
import type { AudienceConnector } from './audience-connector.ts';

export interface AudienceConnectors {
  /** The connector of a destination kind (`tencent`, `tiktok_file`), or undefined when there is none. */
  find(destination: string): AudienceConnector | undefined;
  /** Every destination kind this node can send to. */
  readonly destinations: readonly string[];
  /** One origin standing in for every host of a platform (its contract server, in tests and the demo). */
  baseUrlOf(platform: string): string | undefined;
}
