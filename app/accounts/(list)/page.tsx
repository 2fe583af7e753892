import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { fmtNumber } from '@/app/_components/format';
import { GlobalHaltPanel, HaltBadge } from '../_components/account-panels';
import { CreateAccountForm } from '../_components/account-forms';

export const dynamic = 'force-dynamic';

/** Every trading account with its equity, balance, open positions and halt state; the global halt; admins create accounts. */
export default async function AccountsPage() {
  const access = await requireRole('viewer', '/accounts');
  const { root, actor } = access;
  const [records, halt] = await Promise.all([root.engine.accounts.list(), root.engine.accounts.globalHalt()]);
  const views = await Promise.all(records.map((r) => root.engine.accounts.view(r.id)));
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
          <div className="table-wrap">
            <table data-testid="accounts">
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
                {views.map((v) => (
                  <tr key={v.account.id} data-testid="account-row" data-account-id={v.account.id}>
                    <td>
                      <a href={`/accounts/${v.account.id}`}>{v.account.settings.name}</a> <code className="muted">{v.account.id}</code>
                    </td>
                    <td>
                      {v.account.settings.marketType}
                      {v.account.settings.marketType === 'futures' ? ` ${fmtNumber(v.account.settings.leverage, 0)}× ${v.account.settings.marginMode}` : ''}
                    </td>
                    <td data-testid="account-equity">
                      {fmtNumber(v.equity)} {v.account.settings.quoteCurrency}
                    </td>
                    <td>
                      {fmtNumber(v.walletBalance)} {v.account.settings.quoteCurrency}
                    </td>
                    <td data-testid="account-positions">{v.positions.length}</td>
                    <td>
                      <HaltBadge risk={v.risk} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
    </>
  );
}
