/**
 * AES-256-GCM encryption for secrets at rest (webhook secrets, exchange credentials).
 * Ciphertext format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url; a fresh 12-byte IV
 * per message. Decryption of altered data, or with another key, throws.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretBox {
  encrypt(plaintext: string): string;
  /** @throws SecretBoxError when the ciphertext was altered, is malformed or was made with another key. */
  decrypt(ciphertext: string): string;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const KEY_BYTES = 32;

/** Parses a base64 (or base64url) key of exactly 32 bytes. @throws SecretBoxError naming the length found. */
export function parseEncryptionKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new SecretBoxError(`an encryption key must be ${KEY_BYTES} bytes of base64; got ${key.length} bytes`);
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new SecretBoxError(`an encryption key must be ${KEY_BYTES} bytes; got ${key.length}`);
  const box = Buffer.from(key); // own copy
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', box, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(ciphertext) {
      const parts = ciphertext.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') throw new SecretBoxError('ciphertext is not in the v1 format');
      const [, iv, tag, body] = parts.map((p, i) => (i === 0 ? Buffer.alloc(0) : Buffer.from(p, 'base64url')));
      if (iv.length !== 12 || tag.length !== 16) throw new SecretBoxError('ciphertext is not in the v1 format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', box, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('ciphertext failed authentication: it was altered or encrypted with another key');
      }
    },
  };
}
