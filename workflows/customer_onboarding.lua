-- Customer onboarding: when a customer is created, its owner gets a follow-up
-- task "First contact: <name>", due a few days later (the number below; an
-- edit of this file is live after the hot reload, for new customers only).
local FOLLOW_UP_DAYS = 2

return saga "customer_onboarding" {
  trigger = on_event "customer.created",
  steps = {
    step "follow_up" {
      call = "sales.tasks_create",
      input = function(ctx)
        local customer = ctx.input.data
        return {
          title = "First contact: " .. customer.name,
          assigneeId = customer.ownerId,
          customerId = customer.id,
          dueAt = crm.iso(crm.now() + FOLLOW_UP_DAYS * 86400),
          priority = "NORMAL",
        }
      end,
      retry = { attempts = 5, delay = "2s" },
    },
  },
}
