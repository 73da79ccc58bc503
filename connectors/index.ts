/**
 * Every ad platform Accord connects to: its audience connectors, conversion sender and report
 * source where the platform has them (reference §2: none researched for The Trade Desk and
 * Amazon), and its contract server for tests and the demo. Composition roots pick from here.
 */
import type { AudienceConnector } from '../core/activation/audience-connector.ts';
import type { ConversionSender } from '../core/activation/conversion-sender.ts';
import type { ReportSource } from '../core/activation/report-source.ts';
import { amazonAudiences } from './amazon/amazon-audiences.ts';
import { startAmazonContractServer } from './amazon/contract-server.ts';
import type { ContractServer } from './contract-kit/contract-server.ts';
import type { FakeOptions } from './contract-kit/fake-platform.ts';
import { startGoogleContractServer } from './google/contract-server.ts';
import { googleAudiences } from './google/google-audiences.ts';
import { googleConversions } from './google/google-conversions.ts';
import { googleReports } from './google/google-reports.ts';
import { startKuaishouContractServer } from './kuaishou/contract-server.ts';
import { kuaishouAudiences } from './kuaishou/kuaishou-audiences.ts';
import { kuaishouConversions } from './kuaishou/kuaishou-conversions.ts';
import { kuaishouReports } from './kuaishou/kuaishou-reports.ts';
import { startMetaContractServer } from './meta/contract-server.ts';
import { metaAudiences } from './meta/meta-audiences.ts';
import { metaConversions } from './meta/meta-conversions.ts';
import { metaReports } from './meta/meta-reports.ts';
import { startOceanEngineContractServer } from './oceanengine/contract-server.ts';
import { oceanEngineAudiences } from './oceanengine/oceanengine-audiences.ts';
import { oceanEngineConversions } from './oceanengine/oceanengine-conversions.ts';
import { oceanEngineReports } from './oceanengine/oceanengine-reports.ts';
import { startTencentContractServer } from './tencent/contract-server.ts';
import { tencentAudiences } from './tencent/tencent-audiences.ts';
import { tencentConversions } from './tencent/tencent-conversions.ts';
import { tencentReports } from './tencent/tencent-reports.ts';
import { startTikTokContractServer } from './tiktok/contract-server.ts';
import { tiktokConversions } from './tiktok/tiktok-conversions.ts';
import { tiktokFileAudiences } from './tiktok/tiktok-file-audiences.ts';
import { tiktokReports } from './tiktok/tiktok-reports.ts';
import { tiktokSegmentAudiences } from './tiktok/tiktok-segment-audiences.ts';
import { startTtdContractServer } from './ttd/contract-server.ts';
import { ttdAudiences } from './ttd/ttd-audiences.ts';

export type AdPlatform = 'tencent' | 'oceanengine' | 'kuaishou' | 'meta' | 'google' | 'tiktok' | 'ttd' | 'amazon';

export interface PlatformConnectors {
  readonly audiences: readonly AudienceConnector[];
  readonly conversions?: ConversionSender;
  readonly reports?: ReportSource;
  startContractServer(options?: FakeOptions): Promise<ContractServer>;
}

export interface AdPlatformConfig {
  /** The Google Ads API developer token of this Accord installation (user lists, conversions, reports). */
  readonly googleDeveloperToken: string;
}

export function adPlatforms(config: AdPlatformConfig): Record<AdPlatform, PlatformConnectors> {
  const developerToken = config.googleDeveloperToken;
  return {
    tencent: { audiences: [tencentAudiences()], conversions: tencentConversions(), reports: tencentReports(), startContractServer: startTencentContractServer },
    oceanengine: { audiences: [oceanEngineAudiences()], conversions: oceanEngineConversions(), reports: oceanEngineReports(), startContractServer: startOceanEngineContractServer },
    kuaishou: { audiences: [kuaishouAudiences()], conversions: kuaishouConversions(), reports: kuaishouReports(), startContractServer: startKuaishouContractServer },
    meta: { audiences: [metaAudiences()], conversions: metaConversions(), reports: metaReports(), startContractServer: startMetaContractServer },
    google: { audiences: [googleAudiences({ developerToken })], conversions: googleConversions({ developerToken }), reports: googleReports({ developerToken }), startContractServer: startGoogleContractServer },
    tiktok: { audiences: [tiktokSegmentAudiences(), tiktokFileAudiences()], conversions: tiktokConversions(), reports: tiktokReports(), startContractServer: startTikTokContractServer },
    ttd: { audiences: [ttdAudiences()], startContractServer: startTtdContractServer },
    amazon: { audiences: [amazonAudiences()], startContractServer: startAmazonContractServer },
  };
}
