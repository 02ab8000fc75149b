describe('bridge Lambda entry', () => {
  const saved = process.env.PRICE_FACTOR;

  afterEach(() => {
    if (saved === undefined) delete process.env.PRICE_FACTOR;
    else process.env.PRICE_FACTOR = saved;
  });

  it('refuses to start with a bad PRICE_FACTOR, naming it', async () => {
    process.env.PRICE_FACTOR = 'ten percent';

    const loading = import('./handler.js');

    await expect(loading).rejects.toThrow(/PRICE_FACTOR/);
  });
});
