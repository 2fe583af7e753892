/**
 * Trading accounts: the unit the dashboard governs. An account has a market type, a quote currency, a
 * starting balance and a fee model (maker/taker fees, spread, slippage), a default leverage and
 * margin mode, and its own risk limits. Sessions, manual orders, alerts and force exits of an account
 * all pass that account's one risk engine; a paper account's wallet, positions and orders are stored
 * after every change, so a restart changes nothing an operator can see.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseOrThrow } from '../core/validation';
import type { AccountSettings } from '../ports/accounts';

/** The account every installation has: the paper account of the dashboard and of sessions started without `accountId`. */
export const DEFAULT_ACCOUNT_ID = 'default';

/** Account ids: lowercase slugs, used in URLs and session ids. */
export const ACCOUNT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** An account id in a request (the schema of {@link ACCOUNT_ID_PATTERN}, with the message every form and route gives). */
export const accountIdSchema = z.string().regex(ACCOUNT_ID_PATTERN, 'expected an account id like "default"');

/** Highest leverage an account may default to (Binance USD-M's largest tier maximum). */
export const MAX_ACCOUNT_LEVERAGE = 125;

const bps = (min: number, max: number) => z.number({ error: 'expected a number of basis points' }).finite().min(min).max(max);

/** The fields of an account's settings (without the cross-field rules of {@link accountSettingsSchema}). */
export const accountSettingsObject = z
  .object({
    name: z.string().trim().min(1, 'give the account a name').max(80, 'at most 80 characters'),
    marketType: z.enum(['spot', 'futures']),
    quoteCurrency: z.string().regex(/^[A-Z0-9]{2,10}$/, 'expected a currency code like USDT').default('USDT'),
    /** Starting wallet balance in the quote currency. */
    initialBalance: z.number({ error: 'expected a number' }).finite().gt(0, 'must be above 0').max(1e12, 'must be at most 1e12'),
    /** Limit-order fee, bps (negative = rebate). */
    makerFeeBps: bps(-100, 1_000).default(2),
    /** Market/stop fee, bps. */
    takerFeeBps: bps(0, 1_000).default(10),
    /** Full bid-ask spread, bps; a taker pays half. */
    spreadBps: bps(0, 1_000).default(2),
    /** Extra adverse move on taker fills, bps. */
    slippageBps: bps(0, 1_000).default(2),
    /** Largest share of a candle's volume the account may trade, (0, 1]. */
    maxVolumeShare: z.number().finite().gt(0).max(1).default(0.1),
    /** Futures leverage of every position; spot: 1. */
    leverage: z.number({ error: 'expected a number' }).finite().min(1, 'must be >= 1').max(MAX_ACCOUNT_LEVERAGE, `must be <= ${MAX_ACCOUNT_LEVERAGE}`).default(1),
    marginMode: z.enum(['cross', 'isolated']).default('cross'),
  })
  .strict();

/** zod schema of what an operator sets on an account (validated once, at the edge). */
export const accountSettingsSchema = accountSettingsObject.superRefine((value, ctx) => {
    if (value.marketType === 'spot' && value.leverage !== undefined && value.leverage !== 1) {
      ctx.addIssue({ code: 'custom', path: ['leverage'], message: 'a spot account trades without leverage: use 1 or a futures account' });
    }
});

/** Account settings as given (defaults not yet applied). */
export type AccountSettingsInput = z.input<typeof accountSettingsSchema>;
/** Account settings with defaults applied: exactly {@link AccountSettings} (the port's type), checked below. */
type ParsedAccountSettings = z.output<typeof accountSettingsSchema>;
const settingsMatchPort: [ParsedAccountSettings, AccountSettings] extends [AccountSettings, ParsedAccountSettings] ? true : never = true;
void settingsMatchPort;

/**
 * Parses account settings; throws ValidationError naming the first invalid field and its value
 * (`field "initialBalance" was -5: must be above 0`).
 */
export function parseAccountSettings(input: unknown): AccountSettings {
  return parseOrThrow(accountSettingsSchema, input, { root: 'settings' });
}

/** Checks an account id; throws ValidationError naming `id`. */
export function parseAccountId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !ACCOUNT_ID_PATTERN.test(id)) {
    throw new ValidationError(field, id, 'expected 1-40 lowercase letters, digits or dashes, starting with a letter or digit (e.g. "swing-futures")');
  }
  return id;
}

/**
 * What an operator gives to link a venue account (besides `id` and `risk`): the venue whose stored
 * API keys it trades with, a name, and the fee model and leverage it trades at. Market type and quote
 * currency come from the venue; the initial balance is the venue's wallet when the account is linked.
 */
export const venueAccountObject = accountSettingsObject
  .pick({ name: true, makerFeeBps: true, takerFeeBps: true, spreadBps: true, slippageBps: true, leverage: true, marginMode: true })
  .extend({
    kind: z.literal('venue'),
    venue: z.string().min(1, 'name the venue (e.g. "binanceusdm")'),
  })
  .strict();

/** A venue account's link request, defaults applied. */
export type VenueAccountInput = z.output<typeof venueAccountObject>;

/** Parses a venue account's link request; throws ValidationError naming the first invalid field. */
export function parseVenueAccountInput(input: unknown): VenueAccountInput {
  return parseOrThrow(venueAccountObject, input, { root: 'account' });
}
