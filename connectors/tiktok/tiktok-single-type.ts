/** TikTok audiences hold one id type (segment id_type, customer-file calculate_type). */
import { ActivationError } from '../../core/activation/activation-errors.ts';

export function tiktokSingleType(idTypes: readonly string[]): string {
  if (idTypes.length !== 1) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'tiktok: an audience holds exactly one id type', { platform: 'tiktok' });
  return idTypes[0]!;
}
