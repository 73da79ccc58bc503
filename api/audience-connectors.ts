/**
 * The registry core's sync engine sends through: every audience connector of connectors/index.ts by
 * destination name, and where a platform is stood in for (contract servers in the demo and tests)
 * the origin that replaces its hosts.
 */
import { adPlatforms, type AdPlatformConfig, type PlatformConnectors } from '../connectors/index.ts';
import type { AudienceConnector } from '../core/activation/audience-connector.ts';
import type { AudienceConnectors } from '../core/activation/audience-connectors.ts';

export function audienceConnectorsOf(platforms: Readonly<Record<string, PlatformConnectors>>, baseUrls: Readonly<Record<string, string>> = {}): AudienceConnectors {
  const byDestination = new Map<string, AudienceConnector>();
  for (const platform of Object.values(platforms)) for (const connector of platform.audiences) byDestination.set(connector.destination, connector);
  return {
    find: (destination) => byDestination.get(destination),
    destinations: [...byDestination.keys()],
    baseUrlOf: (platform) => baseUrls[platform],
  };
}

/** The node's registry from its configuration. */
export function nodeAudienceConnectors(config: AdPlatformConfig & { readonly adPlatformUrls?: Readonly<Record<string, string>> | undefined }): AudienceConnectors {
  return audienceConnectorsOf(adPlatforms(config), config.adPlatformUrls ?? {});
}
