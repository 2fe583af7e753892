import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { fmtNumber } from '@/app/_components/format';
import { GlobalHaltPanel, HaltBadge } from '../_components/account-panels';
import { CreateAccountForm, LinkVenueAccountForm } from '../_components/account-forms';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

/** Every trading account with its equity, balance, open positions and halt state; the global halt; admins create accounts. */
export default async function AccountsPage() {
  const access = await requireRole('viewer', '/accounts');
  const { root, actor } = access;
  const [records, halt] = await Promise.all([root.engine.accounts.list(), root.engine.accounts.globalHalt()]);
  // A venue account is read from its venue: one that cannot be reached shows why instead of failing the page.
  const views = await Promise.all(
    records.map(async (record) => {
      try {
        return { record, view: await root.engine.accounts.view(record.id), error: null };
      } catch (error) {
        return { record, view: null, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const canTrade = roleAtLeast(actor.role, 'trader');
  return (
    <>
      <section className="card" aria-labelledby="accounts-heading">
        <h1 id="accounts-heading">Accounts</h1>
        <p className="muted">
          Each account has its own wallet, fee model and risk limits; every session, manual order and force exit of an account goes through its one
          risk engine.
        </p>
        {views.length === 0 ? (
          <p className="muted" data-testid="accounts-empty">No accounts yet{roleAtLeast(actor.role, 'admin') ? ': create one below.' : '; an admin can create one.'}</p>
        ) : (
          <ScrollTable label="Accounts" data-testid="accounts">
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Market</th>
                  <th scope="col">Equity</th>
                  <th scope="col">Balance</th>
                  <th scope="col">Open positions</th>
                  <th scope="col">Trading</th>
                </tr>
              </thead>
              <tbody>
                {views.map(({ record, view: v, error }) => (
                  <tr key={record.id} data-testid="account-row" data-account-id={record.id}>
                    <td>
                      <a href={`/accounts/${record.id}`}>{record.settings.name}</a> <code className="muted">{record.id}</code>
                      {record.kind === 'venue' && <span className="badge">venue {record.venue}</span>}
                    </td>
                    <td>
                      {record.settings.marketType}
                      {record.settings.marketType === 'futures' ? ` ${fmtNumber(record.settings.leverage, 0)}× ${record.settings.marginMode}` : ''}
                    </td>
                    {v ? (
                      <>
                        <td data-testid="account-equity">
                          {fmtNumber(v.equity)} {record.settings.quoteCurrency}
                        </td>
                        <td>
                          {fmtNumber(v.walletBalance)} {record.settings.quoteCurrency}
                        </td>
                        <td data-testid="account-positions">{v.positions.length}</td>
                        <td>
                          <HaltBadge risk={v.risk} />
                        </td>
                      </>
                    ) : (
                      <td colSpan={4} className="error" data-testid="account-error">
                        {error}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        )}
      </section>
      <GlobalHaltPanel halt={halt} canTrade={canTrade} />
      {roleAtLeast(actor.role, 'admin') && (
        <section className="card" aria-labelledby="create-account-heading">
          <h2 id="create-account-heading">Create a paper account</h2>
          <p className="muted">Market type, quote currency and initial balance are fixed once the account exists. Empty fields take the default shown.</p>
          <CreateAccountForm />
        </section>
      )}
      {roleAtLeast(actor.role, 'admin') && (
        <section className="card" aria-labelledby="link-venue-heading">
          <h2 id="link-venue-heading">Link a venue account</h2>
          <p className="muted">
            A venue account trades on the venue with the API keys stored on the <a href="/admin/credentials">credentials page</a> (live trading must be enabled
            there). Its wallet is read when it is linked and becomes its initial balance; live sessions on that venue trade it, through its own risk limits.
          </p>
          <LinkVenueAccountForm />
        </section>
      )}
    </>
  );
}
