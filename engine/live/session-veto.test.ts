import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { VetoModel } from '../decision/veto-model';
import { followingVeto, VETO_NONE_DEPLOYED, VETO_NOT_LOADED } from './session-veto';

describe('followingVeto', () => {
  it('vetoes every entry while no model is loaded, and follows a model deployed later at the next entry', async () => {
    let active: VetoModel | null = null;
    const veto = followingVeto(() => active, { logger: silentLogger, session: 's' });
    expect(veto.version).toBe(VETO_NOT_LOADED);
    await expect(veto.predictLossProbability(new Float32Array(2))).resolves.toBe(1);
    expect(veto.version).toBe(VETO_NOT_LOADED);
    active = { version: 'intent-veto@v2', featureNames: ['a', 'b'], predictLossProbability: async () => 0.25 };
    await expect(veto.predictLossProbability(new Float32Array(2))).resolves.toBe(0.25);
    expect([veto.version, veto.featureNames]).toEqual(['intent-veto@v2', ['a', 'b']]);
  });

  it('lets entries through while none is deployed, vetoes them while a deployed one is not loaded, and follows one that loads', async () => {
    let active: VetoModel | null = null;
    let deployed = false;
    const veto = followingVeto(() => active, { logger: silentLogger, session: 's' }, async () => deployed);
    await expect(veto.predictLossProbability(new Float32Array(2))).resolves.toBe(0);
    expect(veto.version).toBe(VETO_NONE_DEPLOYED);
    // Deployed elsewhere, not (yet) loaded here: fail closed.
    deployed = true;
    await expect(veto.predictLossProbability(new Float32Array(2))).resolves.toBe(1);
    expect(veto.version).toBe(VETO_NOT_LOADED);
    active = { version: 'intent-veto@v3', featureNames: ['a'], predictLossProbability: async () => 0.4 };
    await expect(veto.predictLossProbability(new Float32Array(1))).resolves.toBe(0.4);
    expect(veto.version).toBe('intent-veto@v3');
  });
});
