import { describe, expect, it } from 'vitest';
import { EngineError } from '../core/errors';
import { ChannelDeliveryError } from './notification-channel';

describe('ChannelDeliveryError', () => {
  it('recognises a delivery error by its code, as another bundle chunk’s copy of the class throws it', () => {
    expect(new EngineError('notify_retryable', 'slack channel "ops": HTTP 500')).toBeInstanceOf(ChannelDeliveryError);
    expect(new EngineError('notify_non_retryable', 'slack channel "ops": HTTP 403')).toBeInstanceOf(ChannelDeliveryError);
    expect(new EngineError('validation', 'field "x"')).not.toBeInstanceOf(ChannelDeliveryError);
  });
});
