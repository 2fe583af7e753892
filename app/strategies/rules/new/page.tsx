import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { RuleEditorSection } from '../_components/rule-editor-page';

export const dynamic = 'force-dynamic';

/** Compose a new rule strategy (saving needs the trader role). */
export default async function NewRuleStrategyPage() {
  const { root, actor } = await requireRole('viewer', '/strategies/rules/new');
  return <RuleEditorSection root={root} initial={null} savedName={null} canEdit={roleAtLeast(actor.role, 'trader')} />;
}
