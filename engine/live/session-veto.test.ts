import { describe, expect, it } from 'vitest';
import { silentLogger } from '../core/clock';
import type { VetoModel } from '../decision/veto-model';
import { followingVeto, VETO_NOT_LOADED } from './session-veto';

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
});
