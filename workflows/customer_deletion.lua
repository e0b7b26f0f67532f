-- Customer deletion: when a customer is deleted (DELETE /api/customers/{id}
-- soft-deletes it and emits customer.deleted), everything still pending for
-- that customer in the other contexts is cleared away, step by step:
--
--   1. approvals      its PENDING approval requests are cancelled (their
--                     deal_approval workflows end);
--   2. activity       its future meetings and OPEN tasks are deleted (past
--                     meetings and completed tasks stay: they are history);
--   3. notifications  the notifications about that customer alone are
--                     archived (no longer listed for their users);
--   4. read_models    the customer leaves the report read-models.
--
-- Each step is retried a few times (RETRY below). When a step still fails
-- after that, the steps done so far are undone, last first: the approvals go
-- back to PENDING with the approver they had, the meetings and tasks and the
-- notifications come back, and the instance ends COMPENSATED. An ADMIN can
-- then fix the cause and retry it (POST /api/workflow-instances/{id}/retry),
-- which runs the deletion again from the first step.
--
-- Every undo is handed exactly what its step changed (the step's reply), so
-- it never brings back a record that someone else had cancelled or deleted.

-- How often a step is tried before the deletion is undone, and how long to
-- wait between two tries.
local RETRY = { attempts = 3, delay = "1s" }

-- The deleted customer, from the customer.deleted event ({id, ownerId}).
local function the_customer(ctx)
  return { customerId = ctx.input.data.id }
end

return saga "customer_deletion" {
  trigger = on_event "customer.deleted",
  steps = {
    step "approvals" {
      call = "opportunity.cancel_for_customer",      -- -> {customerId, cancelled}
      compensate = "opportunity.restore_for_customer",
      input = the_customer,
      retry = RETRY,
    },
    step "activity" {
      call = "sales.delete_customer_activity",       -- -> {customerId, meetings, tasks}
      compensate = "sales.restore_customer_activity",
      input = the_customer,
      retry = RETRY,
    },
    step "notifications" {
      call = "analytics.archive_for_customer",       -- -> {customerId, ids}
      compensate = "analytics.restore_archived",
      input = the_customer,
      retry = RETRY,
    },
    -- Last, so that nothing after it can fail: a customer gone from the
    -- reports is not put back by an undo.
    step "read_models" {
      call = "analytics.drop_customer",
      input = the_customer,
      retry = RETRY,
    },
  },
}
