import { allowed, comparePriority, matches, type Policy } from './acl.js';
import { parsePolicy } from './hcl-policy.js';

const policy = (name: string, hcl: string): Policy => ({ name, rules: parsePolicy(hcl) });

describe('matches', () => {
  it('treats a trailing * as any suffix and + as exactly one segment', () => {
    expect(matches('secret/data/order/*', 'secret/data/order/db')).toBe(true);
    expect(matches('secret/data/order/*', 'secret/data/order/db/replica')).toBe(true);
    expect(matches('secret/data/order/*', 'secret/data/order/')).toBe(true);
    expect(matches('secret/data/order/*', 'secret/data/order')).toBe(false);
    expect(matches('secret/data/ord*', 'secret/data/order/db')).toBe(true);
    expect(matches('secret/data/+/db', 'secret/data/order/db')).toBe(true);
    expect(matches('secret/data/+/db', 'secret/data/order/x/db')).toBe(false);
    expect(matches('secret/data/+', 'secret/data/order/db')).toBe(false);
    expect(matches('secret/+/order/*', 'secret/data/order/db')).toBe(true);
    expect(matches('secret/data/order', 'secret/data/order/db')).toBe(false);
  });
});

describe('comparePriority', () => {
  it('follows Vault’s documented order', () => {
    // 1. a later first wildcard wins; an exact path has none at all
    expect(comparePriority('secret/data/order/db', 'secret/data/order/*')).toBeGreaterThan(0);
    expect(comparePriority('secret/data/+/db', 'secret/+/order/db')).toBeGreaterThan(0);
    // 2. no trailing * beats a trailing *
    expect(comparePriority('secret/data/+', 'secret/data/+*')).toBeGreaterThan(0);
    // 3. fewer + wins
    expect(comparePriority('secret/data/+/db', 'secret/data/+/+')).toBeGreaterThan(0);
    // 4. longer wins
    expect(comparePriority('secret/+/order-db', 'secret/+/order')).toBeGreaterThan(0);
    expect(comparePriority('secret/data/order/*', 'secret/data/*')).toBeGreaterThan(0);
    // 5. lexicographically larger wins
    expect(comparePriority('secret/data/b*', 'secret/data/a*')).toBeGreaterThan(0);
  });
});

describe('allowed', () => {
  const order = policy('order', 'path "secret/data/order/*" { capabilities = ["read"] }');

  it('grants exactly the listed capabilities on matching paths and nothing elsewhere', () => {
    expect(allowed([order], 'secret/data/order/db', 'read')).toBe(true);
    expect(allowed([order], 'secret/data/order/db', 'update')).toBe(false);
    expect(allowed([order], 'secret/data/order/db', 'create')).toBe(false);
    expect(allowed([order], 'secret/data/payment/db', 'read')).toBe(false);
    expect(allowed([order], 'secret/metadata/order/db', 'read')).toBe(false);
    expect(allowed([], 'secret/data/order/db', 'read')).toBe(false);
  });

  it('lets the exact path win over a glob, even to grant less', () => {
    const narrowed = policy(
      'p',
      `path "secret/data/*" { capabilities = ["read", "update"] }
       path "secret/data/order/db" { capabilities = ["read"] }`,
    );
    expect(allowed([narrowed], 'secret/data/order/db', 'update')).toBe(false);
    expect(allowed([narrowed], 'secret/data/order/other', 'update')).toBe(true);
  });

  it('lets the longer prefix win over the shorter one', () => {
    const p = policy(
      'p',
      `path "secret/*" { capabilities = ["read"] }
       path "secret/data/order/*" { capabilities = ["list"] }`,
    );
    expect(allowed([p], 'secret/data/order/db', 'read')).toBe(false);
    expect(allowed([p], 'secret/data/order/db', 'list')).toBe(true);
    expect(allowed([p], 'secret/data/payment/db', 'read')).toBe(true);
  });

  it('lets the pattern with fewer + segments win', () => {
    const p = policy(
      'p',
      `path "secret/data/+/+" { capabilities = ["read"] }
       path "secret/data/+/db" { capabilities = ["update"] }`,
    );
    expect(allowed([p], 'secret/data/order/db', 'update')).toBe(true);
    expect(allowed([p], 'secret/data/order/db', 'read')).toBe(false);
    expect(allowed([p], 'secret/data/order/key', 'read')).toBe(true);
  });

  it('denies everything when the winning rule holds deny, but a broader deny does not win', () => {
    const p = policy(
      'p',
      `path "secret/data/*" { capabilities = ["read"] }
       path "secret/data/payment/*" { capabilities = ["deny", "read"] }`,
    );
    expect(allowed([p], 'secret/data/payment/card', 'read')).toBe(false);
    expect(allowed([p], 'secret/data/order/db', 'read')).toBe(true);

    const broadDeny = policy(
      'q',
      `path "secret/*" { capabilities = ["deny"] }
       path "secret/data/order/db" { capabilities = ["read"] }`,
    );
    expect(allowed([broadDeny], 'secret/data/order/db', 'read')).toBe(true);
    expect(allowed([broadDeny], 'secret/data/order/other', 'read')).toBe(false);
  });

  it('unions the capabilities several policies give the same pattern, deny included', () => {
    const reader = policy('reader', 'path "secret/data/shared/*" { capabilities = ["read"] }');
    const writer = policy('writer', 'path "secret/data/shared/*" { capabilities = ["update"] }');
    expect(allowed([reader], 'secret/data/shared/x', 'update')).toBe(false);
    expect(allowed([reader, writer], 'secret/data/shared/x', 'update')).toBe(true);
    expect(allowed([reader, writer], 'secret/data/shared/x', 'read')).toBe(true);

    const blocker = policy('blocker', 'path "secret/data/shared/*" { capabilities = ["deny"] }');
    expect(allowed([reader, writer, blocker], 'secret/data/shared/x', 'read')).toBe(false);
  });

  it('lets a rule without the trailing slash allow a LIST of that folder', () => {
    const p = policy('p', 'path "secret/metadata/order" { capabilities = ["list"] }');
    expect(allowed([p], 'secret/metadata/order/', 'list')).toBe(true);
    expect(allowed([p], 'secret/metadata/order/', 'read')).toBe(false);
  });
});
