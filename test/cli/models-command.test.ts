/** `accord models`: the progress line `train` and `watch` print, and usage errors before any database is opened. */
import { describe, expect, it } from 'vitest';
import { modelsCommand, progressLine } from '../../cli/models-command.ts';
import type { Config } from '../../core/config/config.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';

describe('accord models', () => {
  it('prints one progress line per epoch, with validation metrics where the brand has them', () => {
    const model = { id: 'm1', status: 'training' as const };
    expect(progressLine(model, { epoch: 2, step: 12, validationAuc: 0.86123, validationLoss: 0.40211, at: '' }, 5)).toBe('model m1: epoch 2/5, step 12, validation AUC 0.8612, loss 0.4021');
    expect(progressLine(model, { epoch: 1, step: 6, at: '' }, 5)).toBe('model m1: epoch 1/5, step 6');
  });

  it('refuses an unknown action, a missing argument and an id that is not a UUID', async () => {
    const config = {} as Config;
    await expect(modelsCommand(config, new ConsentGate(), ['fly'])).rejects.toThrow(/unknown models command "fly"/);
    await expect(modelsCommand(config, new ConsentGate(), ['show'])).rejects.toThrow(/accord models show/);
    await expect(modelsCommand(config, new ConsentGate(), ['watch', '42'])).rejects.toThrow(/not a UUID/);
  });
});
