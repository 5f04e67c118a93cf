import { dataCeilingOf, userInfoAllowed } from '../../src/sentry/data-collection';
import type { ClientShape, DataCollectionShape } from '../../src/sentry/sdk-shapes';

/** A client as each SDK generation shapes it: raw options, and (10.x late, 11) the resolved settings. */
function client(options: Record<string, unknown>, resolved?: DataCollectionShape): ClientShape {
  return { getOptions: () => options, ...(resolved === undefined ? {} : { getDataCollectionOptions: () => resolved }) };
}
const ALL_ON: DataCollectionShape = { userInfo: true, cookies: true, httpHeaders: { request: true }, urlQueryParams: true };

describe('dataCeilingOf: the app’s switches, per SDK generation', () => {
  it.each([
    { sdk: '11, defaults', make: () => client({}, ALL_ON), expected: { userInfo: true, userInfoSwitchedOff: false, headers: true, cookies: true, query: true } },
    {
      sdk: '11, userInfo off',
      make: () => client({ dataCollection: { userInfo: false } }, { ...ALL_ON, userInfo: false }),
      expected: { userInfo: false, userInfoSwitchedOff: true, headers: true, cookies: true, query: true },
    },
    {
      sdk: '11, headers / cookies / query off',
      make: () => client({}, { userInfo: true, httpHeaders: { request: false }, cookies: false, urlQueryParams: false }),
      expected: { userInfo: true, userInfoSwitchedOff: false, headers: false, cookies: false, query: false },
    },
    {
      sdk: '11, allow / deny lists count as off for what we add',
      make: () => client({}, { userInfo: true, httpHeaders: { request: { allow: ['accept'] } }, cookies: { deny: ['sid'] }, urlQueryParams: true }),
      expected: { userInfo: true, userInfoSwitchedOff: false, headers: false, cookies: false, query: true },
    },
    {
      sdk: '11, sendDefaultPii: false left from 10.x (the SDK ignores it): user data off for us all the same',
      make: () => client({ sendDefaultPii: false }, ALL_ON),
      expected: { userInfo: false, userInfoSwitchedOff: true, headers: true, cookies: true, query: true },
    },
    {
      sdk: '11, sendDefaultPii: false with dataCollection.userInfo: true: the app’s dataCollection wins',
      make: () => client({ sendDefaultPii: false, dataCollection: { userInfo: true } }, ALL_ON),
      expected: { userInfo: true, userInfoSwitchedOff: false },
    },
    { sdk: '11, httpHeaders as one boolean', make: () => client({}, { ...ALL_ON, httpHeaders: false }), expected: { headers: false } },
    {
      sdk: 'late 10.x, sendDefaultPii unset resolves to userInfo false: a default, not a switch',
      make: () => client({}, { userInfo: false, cookies: true, httpHeaders: { request: true }, queryParams: false }),
      expected: { userInfo: false, userInfoSwitchedOff: false, query: false },
    },
    { sdk: '≤ 9, sendDefaultPii true', make: () => client({ sendDefaultPii: true }), expected: { userInfo: true, userInfoSwitchedOff: false, headers: true, cookies: true, query: true } },
    { sdk: '≤ 9, sendDefaultPii unset', make: () => client({}), expected: { userInfo: false, userInfoSwitchedOff: false } },
    { sdk: '≤ 9, sendDefaultPii false', make: () => client({ sendDefaultPii: false }), expected: { userInfo: false, userInfoSwitchedOff: true } },
    {
      sdk: 'a client whose options throw: everything off',
      make: (): ClientShape => ({
        getOptions: () => {
          throw new Error('broken');
        },
      }),
      expected: { userInfo: false, userInfoSwitchedOff: true, headers: false, cookies: false, query: false },
    },
  ])('$sdk', ({ make, expected }) => {
    expect(dataCeilingOf(make())).toMatchObject(expected);
  });
});

describe('userInfoAllowed: the pii option within the ceiling', () => {
  it.each([
    { option: undefined, userInfo: true, switchedOff: false, expected: true },
    { option: undefined, userInfo: false, switchedOff: false, expected: false },
    { option: true, userInfo: false, switchedOff: false, expected: true },
    { option: true, userInfo: false, switchedOff: true, expected: false },
    { option: false, userInfo: true, switchedOff: false, expected: false },
  ])('pii $option with userInfo $userInfo, switched off $switchedOff → $expected', ({ option, userInfo, switchedOff, expected }) => {
    expect(userInfoAllowed(option, { userInfo, userInfoSwitchedOff: switchedOff, headers: true, cookies: true, query: true })).toBe(expected);
  });
});
