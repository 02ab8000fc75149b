import { ENVIRONMENT } from '../config/topology.js';
import { environmentFor } from './environment.js';

const VALUES = {
  PRODUCTS_TABLE: 'products',
  AMQP_URL: 'amqp://mq',
  PRICE_FACTOR: '1.10',
  API_URL: 'https://api.test/prod',
};

describe('environmentFor', () => {
  it('picks exactly the names a role reads', () => {
    const environment = environmentFor('bridge', VALUES);

    expect(Object.keys(environment).sort()).toEqual(
      [...ENVIRONMENT.bridge].sort(),
    );
    expect(environment.AMQP_URL).toBe('amqp://mq');
  });

  it('leaves out the names given elsewhere', () => {
    const environment = environmentFor('worker', VALUES, ['AMQP_URL']);

    expect(environment).toEqual({ PRODUCTS_TABLE: 'products' });
  });

  it('refuses a role whose name has no value', () => {
    const pick = () => environmentFor('socketServer', VALUES);
    const missing = /no value for (SOCKET_HOST|SOCKET_PORT|POLL_INTERVAL),/;

    expect(pick).toThrow(missing);
  });
});
