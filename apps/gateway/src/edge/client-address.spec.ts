import { clientBucket } from './client-address.js';

describe('clientBucket', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientBucket('127.0.0.2')).toBe('127.0.0.2');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientBucket('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('puts every address of one IPv6 /64 in one bucket, and another /64 in another', () => {
    const a = clientBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(clientBucket('2001:db8:1:2::1')).toBe(a);
    expect(clientBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(a);
    expect(clientBucket('2001:db8:1:3::1')).not.toBe(a);
    expect(a).toBe('2001:db8:1:2::/64');
  });
});
