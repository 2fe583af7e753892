/** Admin forms: create an account, and edit an account's settings and risk limits. Errors show next to each field. */
import { ActionForm, FormField } from '@/app/_components/action-form';
import type { AccountRecord } from '@/engine/ports/accounts';
import type { RiskLimits } from '@/engine/settings/trading-settings';
import { RISK_LIMIT_FIELDS } from '@/app/_components/settings/risk-limit-fields';
import { VENUES } from '@/engine/venues/registry';
import { createAccount, linkVenueAccount, updateAccount } from '../actions';

const FEE_FIELDS = [
  { name: 'makerFeeBps', label: 'Maker fee', hint: 'bps, negative = rebate', fallback: 2 },
  { name: 'takerFeeBps', label: 'Taker fee', hint: 'bps', fallback: 10 },
  { name: 'spreadBps', label: 'Spread', hint: 'bps, a taker pays half', fallback: 2 },
  { name: 'slippageBps', label: 'Slippage', hint: 'bps on taker fills', fallback: 2 },
  { name: 'maxVolumeShare', label: 'Max volume share', hint: '0..1 of a candle', fallback: 0.1 },
] as const;

/** Every setting of a new paper account. */
export function CreateAccountForm() {
  return (
    <ActionForm action={createAccount} submitLabel="Create account" testId="create-account-form" className="stack-form" showResult>
      <div className="form-grid">
        <FormField name="id" label="Id" hint="lowercase, e.g. swing-futures" required />
        <FormField name="name" label="Name" required />
        <FormField name="marketType" label="Market type" options={['spot', 'futures']} defaultValue="spot" />
        <FormField name="quoteCurrency" label="Quote currency" defaultValue="USDT" />
        <FormField name="initialBalance" label="Initial balance" hint="quote currency" type="number" step="any" required />
        {FEE_FIELDS.map((f) => (
          <FormField key={f.name} name={f.name} label={f.label} hint={f.hint} type="number" step="any" placeholder={String(f.fallback)} />
        ))}
        <FormField name="leverage" label="Leverage" hint="futures, 1-125" type="number" step="any" placeholder="1" />
        <FormField name="marginMode" label="Margin mode" options={['cross', 'isolated']} defaultValue="cross" />
      </div>
    </ActionForm>
  );
}

/** Link a venue account: it trades on the venue with the API keys stored for it (credentials page). */
export function LinkVenueAccountForm() {
  const venues = Object.values(VENUES).filter((v) => v.liveTrading);
  return (
    <ActionForm action={linkVenueAccount} submitLabel="Link venue account" testId="link-venue-form" className="stack-form" showResult>
      <div className="form-grid">
        <FormField name="id" label="Id" hint="lowercase, e.g. binance-usdm" required />
        <FormField name="name" label="Name" required />
        <FormField name="venue" label="Venue" options={venues.map((v) => v.id)} defaultValue={venues[0]?.id} />
        <FormField name="takerFeeBps" label="Taker fee" hint="bps, the venue's (sizing assumes it)" type="number" step="any" placeholder="10" />
        <FormField name="makerFeeBps" label="Maker fee" hint="bps" type="number" step="any" placeholder="2" />
        <FormField name="leverage" label="Leverage" hint="futures venues, 1-125" type="number" step="any" placeholder="1" />
        <FormField name="marginMode" label="Margin mode" options={['cross', 'isolated']} defaultValue="cross" />
      </div>
    </ActionForm>
  );
}

/** Settings that may change after creation, and the account's risk limits. */
export function EditAccountForm({ account, limits }: { account: AccountRecord; limits: RiskLimits }) {
  const s = account.settings;
  return (
    <ActionForm action={updateAccount} submitLabel="Save settings and limits" testId="edit-account-form" className="stack-form">
      <input type="hidden" name="id" value={account.id} />
      <fieldset>
        <legend>Settings</legend>
        <p className="muted">
          <small>Fees, leverage and margin mode change only while no session trades the account (leverage and margin mode only while flat).</small>
        </p>
        <div className="form-grid">
          <FormField name="settings.name" label="Name" defaultValue={s.name} />
          {FEE_FIELDS.map((f) => (
            <FormField key={f.name} name={`settings.${f.name}`} label={f.label} hint={f.hint} type="number" step="any" defaultValue={s[f.name]} />
          ))}
          {s.marketType === 'futures' && (
            <>
              <FormField name="settings.leverage" label="Leverage" hint="1-125" type="number" step="any" defaultValue={s.leverage} />
              <FormField name="settings.marginMode" label="Margin mode" options={['cross', 'isolated']} defaultValue={s.marginMode} />
            </>
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>Risk limits</legend>
        <div className="form-grid">
          {RISK_LIMIT_FIELDS.map((f) => (
            <FormField key={f.key} name={`risk.${f.key}`} label={f.label} hint={f.hint} type="number" step={f.step ?? 'any'} defaultValue={(limits[f.key] as number | null) ?? ''} />
          ))}
        </div>
      </fieldset>
    </ActionForm>
  );
}
