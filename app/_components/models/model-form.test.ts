import { describe, expect, it } from 'vitest';
import { deployedLoopModelsOf, describeRunModels, modelsOfForm, runModelsLabel } from './model-form';

describe('model form helpers', () => {
  it('builds the models request from the ticked kinds, nesting the filled parameters and leaving blanks to the defaults', () => {
    const posted: Record<string, string> = {
      'models.regime': 'on',
      'models.regime.riskMultiplier.range': '0.25',
      'models.regime.riskMultiplier.trendUp': ' ',
      'models.volatility.targetVolatility': '0.01',
      'models.stopDistance': 'on',
      'models.stopDistance.multiple': 'wide',
    };
    expect(modelsOfForm((name) => posted[name])).toEqual({
      regime: { riskMultiplier: { range: 0.25 } },
      // Text that is no number goes to the engine as typed, which names it.
      stopDistance: { multiple: 'wide' },
    });
    expect(modelsOfForm(() => undefined)).toBeUndefined();
  });

  it('finds the deployed version of each loop model kind, ignoring the veto and inactive versions', () => {
    expect(
      deployedLoopModelsOf([
        { kind: 'regime', version: 2, active: false },
        { kind: 'regime', version: 3, active: true },
        { kind: 'stop-distance', version: 1, active: true },
        { kind: 'intent-veto', version: 5, active: true },
      ]),
    ).toEqual({ regime: 3, volatility: null, stopDistance: 1 });
  });

  it('describes the models a run used, and says off for a run without them', () => {
    const models = {
      regime: { version: 3, riskMultiplier: { trendUp: 1, trendDown: 0.75, range: 0.5 } },
      volatility: { version: 2, targetVolatility: 0.0125, minScale: 0.25, maxScale: 1 },
      stopDistance: { version: 'deployed', multiple: 1.5, minAtr: 0.5 },
    };
    expect(describeRunModels(models)).toEqual([
      'regime@v3: risk × 1 in trend-up, × 0.75 in trend-down, × 0.5 in range',
      'volatility@v2: size × target 1.250% per candle ÷ predicted, within 0.25–1',
      'stop-distance@deployed: stop at 1.5 × the predicted distance, at least 0.5 ATR',
    ]);
    expect(runModelsLabel(models)).toBe('regime@v3 + volatility@v2 + stop-distance@deployed');
    expect(describeRunModels(undefined)).toEqual([]);
    expect(runModelsLabel({ regime: null, volatility: null, stopDistance: null })).toBe('off');
  });
});
