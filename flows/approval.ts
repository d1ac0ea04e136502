import { checkpoint, flow, type StandardSchemaV1, sleep, wait } from 'kitaru';

// A small hand-written Standard Schema (zod, valibot or arktype give you one for free).
const Approval: StandardSchemaV1<unknown, { approved: boolean; note?: string }> = {
  '~standard': {
    version: 1,
    vendor: 'example',
    validate(value) {
      const v = value as { approved?: unknown; note?: unknown } | null;
      if (typeof v !== 'object' || v === null || typeof v.approved !== 'boolean') {
        return { issues: [{ message: 'expected { "approved": true | false }', path: ['approved'] }] };
      }
      if (v.note !== undefined && typeof v.note !== 'string') {
        return { issues: [{ message: 'note must be a string', path: ['note'] }] };
      }
      return { value: { approved: v.approved, ...(v.note === undefined ? {} : { note: v.note }) } };
    },
  },
};

const draftRefund = checkpoint(function draftRefund(orderId: string) {
  return { orderId, amount: 42 };
});

const issueRefund = checkpoint(function issueRefund(plan: { orderId: string; amount: number }) {
  return `refunded ${plan.amount} for ${plan.orderId}`;
});

export default flow(async function refund(orderId = 'order-1') {
  const plan = await draftRefund(orderId);
  const answer = await wait({
    name: 'approval',
    question: `Refund ${plan.amount} for ${orderId}?`,
    schema: Approval,
    timeout: '2d',
    default: { approved: false },
    metadata: { amount: plan.amount },
  });
  if (!answer.approved) return 'declined';
  await sleep('1s');
  return issueRefund(plan);
});
