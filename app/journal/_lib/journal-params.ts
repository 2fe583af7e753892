/**
 * URL search params of the journal pages, the JSON list endpoints and the CSV export, parsed with
 * zod into an engine `JournalQuery`. Empty values (a blank form field) count as absent. Dates are
 * `YYYY-MM-DD` (UTC) or full ISO times; a bare `to` date includes that whole day.
 */
import { z } from 'zod';
import { knownParams } from '@/app/_server/known-params';
import { storableTextCheck } from '@/engine/core/storable-text';
import { DecisionOutcome, TradeOutcome, type JournalQuery } from '@/engine/ports/journal';
import { accountIdSchema } from '@/engine/account/account-config';

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const text = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max, `at most ${max} characters`).superRefine(storableTextCheck).optional());
const date = z.preprocess(
  blankToUndefined,
  z
    .string()
    .refine((v) => Number.isFinite(Date.parse(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v)), 'expected a date like 2024-01-31 or an ISO time')
    .optional(),
);

const common = {
  symbol: text(40),
  strategy: text(60),
  run: text(80),
  /** The rows of one account's sessions (live, paper and replay). */
  account: z.preprocess(blankToUndefined, z.string().trim().pipe(accountIdSchema).optional()),
  from: date,
  to: date,
  dir: z.preprocess(blankToUndefined, z.enum(['asc', 'desc']).optional()),
  limit: z.preprocess(blankToUndefined, z.coerce.number().int('expected a whole number').min(1, 'at least 1').max(1000, 'at most 1000').optional()),
  cursor: text(400),
};

/** A journal list's params: unknown parameters refused (see `knownParams`), and `to` must not end before `from` starts. */
function listParams<Shape extends z.ZodRawShape>(shape: Shape) {
  return knownParams(shape, (value, ctx) => {
    const { from, to, run, account } = value as { from?: string; to?: string; run?: string; account?: string };
    if (run !== undefined && account !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['account'], message: `an account's rows come from its sessions, a run's from its backtest: give account "${account}" or run "${run}", not both` });
    }
    if (from !== undefined && to !== undefined && endMs(to) <= startMs(from)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `"${to}" ends before from "${from}" starts` });
    }
  });
}

const tradeFilters = {
  sort: z.preprocess(blankToUndefined, z.enum(['time', 'pnl', 'symbol']).optional()),
  side: z.preprocess(blankToUndefined, z.enum(['long', 'short']).optional()),
  outcome: z.preprocess(blankToUndefined, z.enum(Object.values(TradeOutcome) as [TradeOutcome, ...TradeOutcome[]]).optional()),
};

/** Trade list params: `sort` time|pnl|symbol, `side` long|short, `outcome` win|loss. */
export const tradeParamsSchema = listParams({ ...common, ...tradeFilters });

/**
 * CSV export params: the trade list's filters, without paging: the export has every matching trade, so a
 * `cursor` or `limit` (which it would ignore) is refused as not a parameter here.
 */
export const tradeExportParamsSchema = (() => {
  const { cursor: _cursor, limit: _limit, ...filters } = common;
  return listParams({ ...filters, ...tradeFilters });
})();

/** Decision list params: `sort` time|symbol, `side` long|short|flat, `outcome` a decision outcome. */
export const decisionParamsSchema = listParams({
  ...common,
  sort: z.preprocess(blankToUndefined, z.enum(['time', 'symbol']).optional()),
  side: z.preprocess(blankToUndefined, z.enum(['long', 'short', 'flat']).optional()),
  outcome: z.preprocess(blankToUndefined, z.enum(Object.values(DecisionOutcome) as [DecisionOutcome, ...DecisionOutcome[]]).optional()),
});

export type TradeParams = z.infer<typeof tradeParamsSchema>;
export type DecisionParams = z.infer<typeof decisionParamsSchema>;

function startMs(value: string): number {
  return Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
}

/** The exclusive end of a `to` value: a bare date includes that whole day. */
function endMs(value: string): number {
  return startMs(value) + (DATE_ONLY.test(value) ? DAY_MS : 0);
}

/** Parsed params -> engine query. A date-only `to` becomes the start of the next day (exclusive bound). */
export function toJournalQuery(p: TradeParams | DecisionParams): JournalQuery {
  const query: JournalQuery = {};
  if (p.symbol) query.symbol = p.symbol;
  if (p.strategy) query.strategy = p.strategy;
  if (p.run) query.runId = p.run;
  if (p.account) {
    query.accountId = p.account;
    query.runId = null;
  }
  if (p.from) query.fromMs = startMs(p.from);
  if (p.to) query.toMs = endMs(p.to);
  if (p.side) query.side = p.side;
  if (p.outcome) query.outcome = p.outcome;
  if (p.sort) query.sort = p.sort;
  if (p.dir) query.direction = p.dir;
  if (p.limit) query.limit = p.limit;
  if (p.cursor) query.cursor = p.cursor;
  return query;
}

/** A Next.js `searchParams` object (values may repeat) as plain strings, first value wins. */
export function firstValues(searchParams: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(searchParams)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[key] = first;
  }
  return out;
}

/** Field errors of a failed parse, keyed by param name. */
export function paramErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) out[String(issue.path[0] ?? 'params')] ??= issue.message;
  return out;
}

/** The same URL params with some replaced or removed (undefined removes), for links that keep the filters. */
export function withParams(current: Record<string, string>, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...current, ...changes })) if (v !== undefined && v !== '') next.set(k, v);
  const qs = next.toString();
  return qs ? `?${qs}` : '';
}
