import { defineOperation } from '@/app/_server/api-v1/operation';
import { accountIdParam, manualOrderResultSchema } from '@/app/_server/api-v1/trading-schemas';
import { whatIfOrderSchema } from '@/engine/risk/what-if';

/** `POST /api/v1/accounts/{id}/orders` (trader). */
export const placeAccountOrder = defineOperation({
  operationId: 'placeAccountOrder',
  method: 'post',
  path: '/api/v1/accounts/{id}/orders',
  tag: 'orders',
  summary: "Place a manual order through the account's risk engine",
  description:
    "The risk engine sizes the order from the stop (loss at the stop = riskPerTradePct of equity, with the account's fees, spread and slippage) and checks every limit. " +
    'Approved: a market entry and a reduce-only stop are sent (201). Denied by risk, or the entry refused by the exchange: 422 with the reason and the checks. One decision is journaled either way. ' +
    "A futures order is placed at the account's leverage (the one its venue opens every position at; `leverage` left out means it): another `leverage` is refused (400 naming it), and can only be previewed through `…/what-if`. " +
    "The entry is a market order: the order is sized and checked at the account's last price (the one it fills at, before spread and slippage) with the `stopPrice` as sent, not at `price`; " +
    "a `price` more than 1 % from the last price is refused (400 naming `price` and the last price to preview at), before anything is sent or journaled. `…/what-if` takes any price.",
  role: 'trader',
  params: accountIdParam,
  body: { contentType: 'application/json', description: 'The order: symbol, side, expected price (within 1 % of the last price) and a stop price (or an ATR).', schema: whatIfOrderSchema, maxBytes: 4 * 1024 },
  response: { status: 201, description: 'Placed: the entry and its stop.', schema: manualOrderResultSchema },
  outcomes: { 422: { description: 'Denied by risk (or rejected by the exchange): the reason and every check.', schema: manualOrderResultSchema } },
  errors: { 404: 'No account has this id, or no candles are stored for the symbol.' },
  audit: { action: 'account.order', target: ({ path, body }) => `${path.id} ${body.symbol}` },
});
