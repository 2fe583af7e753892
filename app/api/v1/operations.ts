/**
 * The control API's registry: every `/api/v1` operation, in document order. A route under
 * `app/api/v1` passes its definition to `apiRoute`; the OpenAPI document is rendered from this
 * list; `tests/integration/api-v1-document.test.ts` fails when a route is missing here, a listed
 * operation has no route, or no test calls an operation.
 */
import type { AnyOperation } from '@/app/_server/api-v1/operation';
import { getOpenApiDocument } from './openapi.json/operation';
import { getBacktest } from './backtests/[id]/operation';
import { getBacktestBreakdown } from './backtests/[id]/breakdown/operation';
import { startBacktest } from './backtests/operation';
import { importCandles } from './candles/operation';
import { listMarkets } from './markets/operation';
import { listStrategies } from './strategies/operation';
import { createRuleStrategy, listRuleStrategies } from './strategies/rules/operation';
import { getRuleStrategy, updateRuleStrategy } from './strategies/rules/[name]/operation';
import { createAccount, listAccounts } from './accounts/operation';
import { getAccount } from './accounts/[id]/operation';
import { getAccountSettings, updateAccountSettings } from './accounts/[id]/settings/operation';
import { haltAccount } from './accounts/[id]/halt/operation';
import { resumeAccount } from './accounts/[id]/resume/operation';
import { placeAccountOrder } from './accounts/[id]/orders/operation';
import { previewAccountOrder } from './accounts/[id]/what-if/operation';
import { closeAccountPosition } from './accounts/[id]/positions/close/operation';
import { haltAllAccounts } from './halt/operation';
import { resumeAllAccounts } from './resume/operation';
import { listSessions, startSession } from './sessions/operation';
import { getSession } from './sessions/[id]/operation';
import { stopSession } from './sessions/[id]/stop/operation';
import { listStudies, startStudy } from './studies/operation';
import { getStudy } from './studies/[id]/operation';
import { cancelStudy } from './studies/[id]/cancel/operation';
import { applyStudy } from './studies/[id]/apply/operation';

/** The API's version in the document's `info.version`; bump the major on a breaking change. */
export const API_V1_VERSION = '1.0.0';

export const API_V1_OPERATIONS: readonly AnyOperation[] = [
  getOpenApiDocument,
  listStrategies,
  listRuleStrategies,
  createRuleStrategy,
  getRuleStrategy,
  updateRuleStrategy,
  listMarkets,
  importCandles,
  startBacktest,
  getBacktest,
  getBacktestBreakdown,
  listStudies,
  startStudy,
  getStudy,
  cancelStudy,
  applyStudy,
  listAccounts,
  createAccount,
  getAccount,
  getAccountSettings,
  updateAccountSettings,
  haltAccount,
  resumeAccount,
  haltAllAccounts,
  resumeAllAccounts,
  previewAccountOrder,
  placeAccountOrder,
  closeAccountPosition,
  listSessions,
  startSession,
  getSession,
  stopSession,
];
