/**
 * Schedules as data: which kinds run on a clock, when (cron, UTC) and with which params. Both
 * runners read the same list: the in-process scheduler and the Inngest cron triggers.
 */
import type { JobDefinition } from './job-definition';
import { JOB_DEFINITIONS, type JobKind } from './definitions';

/** One scheduled kind: a 5-field cron expression in UTC and the params of each occurrence's ticket. */
export interface JobSchedule {
  kind: JobKind;
  cron: string;
  params(scheduledAtMs: number): Record<string, unknown>;
}

/** The definitions' own schedules, in definition order. */
export function defaultJobSchedules(definitions: readonly JobDefinition[] = JOB_DEFINITIONS): JobSchedule[] {
  const schedules: JobSchedule[] = [];
  for (const definition of definitions) {
    if (!definition.schedule) continue;
    const schedule = definition.schedule;
    schedules.push({ kind: definition.kind as JobKind, cron: schedule.cron, params: (at) => schedule.params(at) as Record<string, unknown> });
  }
  return schedules;
}
