// Registry configuration: distribution's YAML keys, JSON, REGISTRY_* overrides and defaults.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistryConfig } from '../../../src/distribution/registry/config.js';

const YAML = `version: 0.1
log:
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: /srv/registry   # comment
  delete:
    enabled: true
http:
  addr: "0.0.0.0:5001"
  tls:
    certificate: /etc/certs/reg.crt
    key: /etc/certs/reg.key
auth:
  htpasswd:
    realm: basic-realm
    path: /auth/htpasswd
catalog:
  maxentries: 50
`;

describe('registry config', () => {
  it('defaults to :5000 and /var/lib/registry with deletion off', async () => {
    const cfg = await loadRegistryConfig(undefined, {});
    assert.equal(cfg.addr, ':5000');
    assert.equal(cfg.root, '/var/lib/registry');
    assert.equal(cfg.deleteEnabled, false);
    assert.equal(cfg.htpasswd, undefined);
    assert.equal(cfg.maxManifestBytes, 4 * 1024 * 1024);
  });

  it('reads distribution YAML and JSON files, and REGISTRY_* overrides them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-config-'));
    try {
      await writeFile(join(dir, 'config.yml'), YAML);
      const cfg = await loadRegistryConfig(join(dir, 'config.yml'), {});
      assert.equal(cfg.addr, '0.0.0.0:5001');
      assert.equal(cfg.root, '/srv/registry');
      assert.equal(cfg.deleteEnabled, true);
      assert.deepEqual(cfg.tls, { certificate: '/etc/certs/reg.crt', key: '/etc/certs/reg.key' });
      assert.deepEqual(cfg.htpasswd, { realm: 'basic-realm', path: '/auth/htpasswd' });
      assert.equal(cfg.catalogMaxEntries, 50);

      const env = {
        REGISTRY_HTTP_ADDR: '127.0.0.1:6000',
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/data',
        REGISTRY_STORAGE_DELETE_ENABLED: 'false',
        REGISTRY_AUTH_HTPASSWD_REALM: 'Other',
        REGISTRY_AUTH_HTPASSWD_PATH: '/other/htpasswd',
        REGISTRY_HTTP_TLS_CERTIFICATE: '/c.pem',
        REGISTRY_HTTP_TLS_KEY: '/k.pem',
      };
      const over = await loadRegistryConfig(join(dir, 'config.yml'), env);
      assert.equal(over.addr, '127.0.0.1:6000');
      assert.equal(over.root, '/data');
      assert.equal(over.deleteEnabled, false);
      assert.deepEqual(over.htpasswd, { realm: 'Other', path: '/other/htpasswd' });
      assert.deepEqual(over.tls, { certificate: '/c.pem', key: '/k.pem' });

      await writeFile(join(dir, 'config.json'), JSON.stringify({ http: { addr: ':7000' }, storage: { delete: { enabled: true } } }));
      const json = await loadRegistryConfig(join(dir, 'config.json'), {});
      assert.equal(json.addr, ':7000');
      assert.equal(json.deleteEnabled, true);

      // `storage: filesystem` written as a scalar still takes an env root directory
      await writeFile(join(dir, 'short.yml'), 'storage: filesystem\n');
      const short = await loadRegistryConfig(join(dir, 'short.yml'), { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/x' });
      assert.equal(short.root, '/x');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
