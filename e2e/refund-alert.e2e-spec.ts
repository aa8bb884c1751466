// Seed 004's anomaly rule on the audit stream: three refunds in six seconds by one
// support agent raise one alert, which an admin sees and the agent does not.
import { api, expectProblem, placeOrder, tokenFor, userIdOf } from './support/http.js';

describe('audit alerts', () => {
  it('3 refunds in 6 s by one agent → one refund-burst alert, visible to an admin only', async () => {
    const orders = await Promise.all([
      placeOrder('alice'),
      placeOrder('alice'),
      placeOrder('alice'),
    ]);
    const agent = await tokenFor('sam');
    for (const order of orders) {
      expect((await api('POST', `/v1/orders/${order.id}/refund`, { token: agent })).status).toBe(
        200,
      );
    }
    const samId = await userIdOf('sam');
    const alerts = await api('GET', '/v1/admin/alerts', { token: await tokenFor('ada') });
    expect(alerts.status).toBe(200);
    const mine = alerts.json.filter((alert: { actor: string }) => alert.actor === samId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ rule: 'refund-burst' });
    expect(mine[0].detail).toMatch(/3 refunds within 6 seconds/);

    expectProblem(await api('GET', '/v1/admin/alerts', { token: agent }), 403);
  });
});
