/**
 * Schedules as data: which kinds run on a clock, when (5-field cron, evaluated in UTC) and with
 * which params. Each definition may carry a default schedule; the operator can move or switch
 * off a kind's schedule (`AETHELRED_JOB_SCHEDULES`). Both runners read the resolved list: the
 * in-process scheduler (`job-scheduler.ts`) and the Inngest cron triggers.
 */
import { Cron } from 'croner';
import { ValidationError } from '../core/errors';
import type { JobDefinition } from './job-definition';
import { JOB_DEFINITIONS, type JobKind } from './definitions';

/** One scheduled kind: a 5-field cron expression in UTC and the params of each occurrence's ticket. */
export interface JobSchedule {
  kind: JobKind;
  cron: string;
  params(scheduledAtMs: number): Record<string, unknown>;
}

/** The value that switches a kind's schedule off. */
export const SCHEDULE_OFF = 'off';

function compile(cron: string): Cron {
  return new Cron(cron, { timezone: 'UTC', mode: '5-part', domAndDow: false, paused: true });
}

/**
 * Checks a 5-field cron expression (`minute hour day-of-month month day-of-week`, UTC).
 * @throws ValidationError naming `field` and the expression.
 */
export function validateCron(field: string, cron: unknown): string {
  if (typeof cron !== 'string' || cron.trim() === '') throw new ValidationError(field, cron, 'expected a 5-field cron expression such as "0 0 * * *", or "off"');
  try {
    compile(cron.trim());
  } catch (error) {
    throw new ValidationError(field, cron, `not a 5-field cron expression (${error instanceof Error ? error.message : String(error)})`);
  }
  return cron.trim();
}

/**
 * The first occurrence of `cron` (UTC) strictly after `afterMs`, epoch ms; null when there is none.
 */
export function nextOccurrenceMs(cron: string, afterMs: number): number | null {
  const next = compile(cron).nextRun(new Date(afterMs));
  return next === null ? null : next.getTime();
}

/**
 * The schedules in force: each definition's default, with `overrides` (kind -> cron, or "off")
 * applied. Only kinds with a default schedule can be moved (their params come from it).
 * @throws ValidationError naming `<field>.<kind>` for an unknown kind, a kind without a default
 * schedule, or a bad cron expression.
 */
export function resolveJobSchedules(
  overrides: Readonly<Record<string, string>> = {},
  definitions: readonly JobDefinition[] = JOB_DEFINITIONS,
  field = 'schedules',
): JobSchedule[] {
  for (const [kind, cron] of Object.entries(overrides)) {
    const definition = definitions.find((d) => d.kind === kind);
    if (!definition) throw new ValidationError(`${field}.${kind}`, cron, `unknown job kind; expected one of ${definitions.filter((d) => d.schedule).map((d) => d.kind).join(', ')}`);
    if (!definition.schedule) throw new ValidationError(`${field}.${kind}`, cron, `"${kind}" has no default schedule (no default params); enqueue it instead`);
    if (cron !== SCHEDULE_OFF) validateCron(`${field}.${kind}`, cron);
  }
  const schedules: JobSchedule[] = [];
  for (const definition of definitions) {
    const schedule = definition.schedule;
    if (!schedule) continue;
    const override = overrides[definition.kind];
    if (override === SCHEDULE_OFF) continue;
    schedules.push({ kind: definition.kind as JobKind, cron: (override ?? schedule.cron).trim(), params: (at) => schedule.params(at) as Record<string, unknown> });
  }
  return schedules;
}

/** The last occurrence of `cron` (UTC) at or before `atMs`, epoch ms; null when there is none. */
export function latestOccurrenceAtOrBeforeMs(cron: string, atMs: number): number | null {
  const [previous] = compile(cron).previousRuns(1, new Date(atMs + 1));
  return previous === undefined ? null : previous.getTime();
}

/** The definitions' own schedules, without overrides. */
export function defaultJobSchedules(definitions: readonly JobDefinition[] = JOB_DEFINITIONS): JobSchedule[] {
  return resolveJobSchedules({}, definitions);
}

/** Key of one scheduled occurrence, unique among tickets: `<kind>@<ISO time>`. */
export const occurrenceKey = (kind: string, scheduledAtMs: number) => `${kind}@${new Date(scheduledAtMs).toISOString()}`;
