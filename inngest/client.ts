/**
 * The Inngest client factory. Reads no environment: the composition root passes every setting.
 * Point `baseUrl` at a self-hosted Inngest server (`inngest start`) or the dev server.
 */
import { Inngest } from 'inngest';

/** Settings for the client; all but `id` optional (the Inngest SDK's own defaults apply). */
export interface InngestClientConfig {
  /** App id shown in the Inngest dashboard. */
  id: string;
  /** Key for sending events (`INNGEST_EVENT_KEY`). */
  eventKey?: string;
  /** Inngest server URL, e.g. `http://127.0.0.1:8288` (`INNGEST_BASE_URL`). */
  baseUrl?: string;
  /** Development mode: no request signing, local dev server (`INNGEST_DEV`). */
  isDev?: boolean;
  /** Key that signs requests between the Inngest server and this app (`INNGEST_SIGNING_KEY`). */
  signingKey?: string;
}

/** Builds an Inngest client from explicit settings. */
export function createInngestClient(config: InngestClientConfig): Inngest {
  return new Inngest({
    id: config.id,
    ...(config.eventKey !== undefined && { eventKey: config.eventKey }),
    ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
    ...(config.isDev !== undefined && { isDev: config.isDev }),
    ...(config.signingKey !== undefined && { signingKey: config.signingKey }),
  });
}
