import { requireRole } from '@/app/_server/auth/page-gate';
import { ActionForm } from '@/app/_components/action-form';
import { createWebhook, setWebhookActive } from '../actions';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Admin: webhooks (secret shown once at creation) and the latest deliveries with status and reason. */
export default async function WebhooksPage() {
  const access = await requireRole('admin', '/admin/webhooks');
  const [hooks, deliveries] = await Promise.all([access.root.auth.webhooks.list(), access.root.auth.webhooks.listDeliveries({ limit: 100 })]);
  return (
    <>
      <section className="card" aria-labelledby="new-webhook-heading">
        <h1 id="new-webhook-heading">Webhooks</h1>
        <p className="muted">
          <code>POST /api/webhooks/&lt;id&gt;</code> with <code>X-Aethelred-Timestamp</code>, <code>X-Aethelred-Delivery</code> and{' '}
          <code>X-Aethelred-Signature: sha256=HMAC(secret, timestamp + &quot;.&quot; + body)</code>.
        </p>
        <ActionForm action={createWebhook} submitLabel="Create webhook" testId="webhook-form" showResult secrets={['secret']} hiddenResults={['webhookId']} resultLabels={{ url: 'Endpoint URL (POST signed deliveries here)', secret: 'Signing secret' }}>
          <label>
            Name <input name="name" required />
          </label>
          <label>
            Kind{' '}
            <select name="kind" defaultValue="alert">
              <option value="alert">alert (TradingView-style signal)</option>
              <option value="job">job (enqueue a job)</option>
            </select>
          </label>
        </ActionForm>
        <ScrollTable label="Webhooks" data-testid="webhooks-table">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col" /></tr>
          </thead>
          <tbody>
            {hooks.map((h) => (
              <tr key={h.id} data-testid="webhook-row">
                <td>{h.name}</td>
                <td>{h.kind}</td>
                <td><code>/api/webhooks/{h.id}</code></td>
                <td>{h.active ? 'active' : 'disabled'}</td>
                <td>{iso(h.createdAtMs)}</td>
                <td>
                  <ActionForm action={setWebhookActive} submitLabel={h.active ? 'Disable' : 'Enable'}>
                    <input type="hidden" name="webhookId" value={h.id} />
                    <input type="hidden" name="active" value={h.active ? 'false' : 'true'} />
                  </ActionForm>
                </td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
      <section className="card" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Latest deliveries</h2>
        <ScrollTable label="Latest webhook deliveries" data-testid="deliveries-table">
          <thead>
            <tr><th scope="col">Received (UTC)</th><th scope="col">Webhook</th><th scope="col">Delivery id</th><th scope="col">Status</th><th scope="col">HTTP</th><th scope="col">Ticket</th><th scope="col">Reason</th></tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td>{iso(d.receivedAtMs)}</td>
                <td><code>{d.webhookId}</code></td>
                <td><code>{d.deliveryId}</code></td>
                <td>{d.status}</td>
                <td>{d.httpStatus}</td>
                <td><code>{d.ticketId}</code></td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </ScrollTable>
      </section>
    </>
  );
}
