import ipaddr from 'ipaddr.js';

/**
 * The key a client address is counted under by every per-address limit (requests, failed
 * logins): an IPv4 address as it is, an IPv6 client by its /64. One IPv6 subscriber is
 * routinely handed a whole /64 (RFC 6177, RFC 8273), so counting single IPv6 addresses
 * would give one attacker 2^64 fresh budgets. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the
 * IPv4 address it maps.
 *
 * `address` is the client address as the edge resolved it: the socket's peer, or, behind
 * a trusted proxy, the right-most untrusted `X-Forwarded-For` hop (see `TRUSTED_PROXIES`).
 */
export function clientBucket(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}
