// server.json: who may tell Loopline where the workspace's tracking server is (it is given our token).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerAdvert, serverFilePath, writeServerAdvert, type ServerAdvert } from '../../src/core/tracking/server-file.ts';
import { tempDir } from '../helpers/temp-store.ts';

const advert = (over: Partial<ServerAdvert> = {}): ServerAdvert => ({ url: 'http://127.0.0.1:41234', port: 41234, token: 't0ken', pid: process.pid, store: 'x', ...over });

test('an advert written by serve is private (0600), complete, and read back', () => {
  const t = tempDir();
  try {
    const store = join(t.dir, 'loopline.db');
    writeServerAdvert(store, advert({ store }));
    assert.equal(statSync(serverFilePath(store)).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(t.dir), ['server.json'], 'no temp file left beside it');
    assert.equal(readServerAdvert(store)?.token, 't0ken');
    writeServerAdvert(store, advert({ store, port: 41235, url: 'http://127.0.0.1:41235' }));
    assert.equal(readServerAdvert(store)?.port, 41235, 'a second write replaces the first');
  } finally {
    t.cleanup();
  }
});

test('an advert other users could have written or read, or that points off this machine, is ignored', () => {
  const t = tempDir();
  try {
    const store = join(t.dir, 'loopline.db');
    const file = serverFilePath(store);
    const plant = (a: ServerAdvert, mode = 0o600) => {
      writeFileSync(file, JSON.stringify(a), { mode });
      chmodSync(file, mode);
    };
    plant(advert({ store }), 0o644);
    assert.equal(readServerAdvert(store), undefined, 'world-readable');
    plant(advert({ store, url: 'http://10.1.2.3:41234' }));
    assert.equal(readServerAdvert(store), undefined, 'not loopback');
    plant(advert({ store, url: 'http://127.0.0.1.evil.example:41234' }));
    assert.equal(readServerAdvert(store), undefined, 'a name that only starts like loopback');
    plant(advert({ store, url: 'http://127.0.0.1:9' }));
    assert.equal(readServerAdvert(store), undefined, 'port and URL disagree');
    plant(advert({ store, url: 'http://localhost:41234' }));
    assert.equal(readServerAdvert(store)?.url, 'http://localhost:41234', 'localhost is loopback');
    const elsewhere = join(t.dir, 'other.json');
    writeFileSync(elsewhere, JSON.stringify(advert({ store })), { mode: 0o600 });
    plant(advert({ store }));
    rmSync(file);
    symlinkSync(elsewhere, file);
    assert.equal(readServerAdvert(store), undefined, 'a symlink');
    if (process.getuid?.() === 0) {
      rmSync(file);
      plant(advert({ store }));
      chownSync(file, 4242, 4242);
      assert.equal(readServerAdvert(store), undefined, "another user's file");
    }
  } finally {
    t.cleanup();
  }
});
