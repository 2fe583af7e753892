import { VENUE_IDS, venueOf } from '@/engine/venues/registry';
import { requireRole } from '@/app/_server/auth/page-gate';
import { ActionForm, FormField } from '@/app/_components/action-form';
import { removeExchangeCredential, setExchangeCredential, setLiveTrading } from '../actions';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Admin: exchange API credentials, write-only. Only "set on <date>, key …last4" is ever shown. */
export default async function CredentialsPage() {
  const access = await requireRole('admin', '/admin/credentials');
  const credentials = await access.root.auth.credentials.list();
  const liveExchanges = VENUE_IDS.filter((id) => venueOf(id)?.liveTrading);
  const enabled = Object.fromEntries(await Promise.all(liveExchanges.map(async (e) => [e, await access.root.liveTrading.isEnabled(e)] as const)));
  return (
    <>
      <section className="card" aria-labelledby="credentials-heading">
        <h1 id="credentials-heading">Exchange credentials</h1>
        <ScrollTable label="Exchange credentials" data-testid="credentials-table">
          <thead>
            <tr><th scope="col">Exchange</th><th scope="col">Stored</th><th scope="col" /></tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.exchange} data-testid="credential-row">
                <td>{c.exchange}</td>
                <td data-testid="credential-summary">
                  set on {day(c.setAtMs)}, key …{c.keyIdLast4}
                  {c.setBy ? ` by ${c.setBy}` : ''}
                </td>
                <td>
                  <ActionForm action={removeExchangeCredential} submitLabel="Remove">
                    <input type="hidden" name="exchange" value={c.exchange} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
        {credentials.length === 0 && <p className="muted">None stored.</p>}
      </section>
      <section className="card" aria-labelledby="live-trading-heading">
        <h2 id="live-trading-heading">Live trading</h2>
        <p className="muted">
          A venue account (Accounts page) can be linked, and live sessions can trade it, only while the venue's keys are stored above and live trading is enabled here. Paper and replay sessions need neither.
        </p>
        <ScrollTable label="Live trading per venue" data-testid="live-trading-table">
          <thead>
            <tr><th scope="col">Exchange</th><th scope="col">Keys</th><th scope="col">Live trading</th><th scope="col"><span className="sr-only">Change</span></th></tr>
          </thead>
          <tbody>
            {liveExchanges.map((e) => (
              <tr key={e}>
                <td>{e}</td>
                <td>{credentials.some((c) => c.exchange === e) ? 'stored' : 'missing'}</td>
                <td data-testid={`live-trading-${e}`}>{enabled[e] ? 'enabled' : 'disabled'}</td>
                <td>
                  <ActionForm action={setLiveTrading} submitLabel={enabled[e] ? `Disable ${e}` : `Enable ${e}`}>
                    <input type="hidden" name="exchange" value={e} />
                    <input type="hidden" name="enabled" value={enabled[e] ? 'false' : 'true'} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section className="card" aria-labelledby="set-credential-heading">
        <h2 id="set-credential-heading">Set credentials</h2>
        <p className="muted">Encrypted with AES-256-GCM before storage; replaces any stored for the exchange. Never shown again.</p>
        <ActionForm action={setExchangeCredential} submitLabel="Save" testId="credential-form">
          <FormField name="exchange" label="Exchange" defaultValue={VENUE_IDS[0]} options={VENUE_IDS.map((id) => ({ value: id, label: `${id} (${venueOf(id)?.label ?? id})` }))} />
          <label>
            API key <input name="apiKey" autoComplete="off" required />
          </label>
          <label>
            Secret <input name="secret" type="password" autoComplete="off" required />
          </label>
          <label>
            Passphrase (if the exchange uses one) <input name="password" type="password" autoComplete="off" />
          </label>
        </ActionForm>
      </section>
    </>
  );
}
