// Codes the server defines (states, order statuses and roles, sign-in roles), read from /api/v1/meta: the
// pages never type them. `codes(list).name` is the code while the server serves it; any other name throws.
export function codes(values) {
  const known = new Set(values);
  return new Proxy({}, {
    get(_, name) {
      if (typeof name !== "string" || !known.has(name)) throw new Error(`the server serves no code ${String(name)}`);
      return name;
    },
  });
}

export const orderStatusCodes = (meta) => codes(meta.order_statuses.map((s) => s.code));
export const orderRoleCodes = (meta) => codes(Object.keys(meta.order_roles));
export const roleCodes = (meta) => codes(Object.keys(meta.roles));
export const staffRoleCodes = (meta) => codes(Object.keys(meta.staff_roles));
export const partyRoleCodes = (meta) => codes(Object.keys(meta.party_roles));

// May a signed-in user of this role use the rule (meta lists every role a rule admits, the administrator too)?
export const mayUse = (meta, role, rule) => ((meta.rules.find((r) => r.name === rule) || {}).roles || []).includes(role);
