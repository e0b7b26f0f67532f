-- Deal approval: routes each approval request to the people who must approve
-- it, one level after the other, and escalates a level nobody decides in time.
--
-- Who approves depends on the amount in ROUTES_CURRENCY: a request in another
-- currency is converted with the rate the opportunity plugin keeps (GET/PUT
-- /api/approvals/exchange-rates; a currency without a rate is refused when
-- the request is made). The first route whose `up_to` covers the amount is
-- taken; it lists the approvers, level by level:
--   "manager"  the requester's manager (an ADMIN when the requester has none)
--   "admin"    an ADMIN, another than the requester and the earlier approvers
--              when there is one
-- An edit of this file is live after the hot reload (or PUT
-- /api/workflows/deal_approval) and applies to new requests; requests already
-- on their way keep the route they started with.
local ROUTES_CURRENCY = "EUR" -- the currency the plugin's exchange rates convert to
local ROUTES = {
  { up_to = 1000000, approvers = { "manager" } },
  { up_to = math.huge, approvers = { "manager", "admin" } },
}

-- How long an approver has to decide a level. After that the level goes to
-- the approver's manager (or an ADMIN), who gets the same time again.
local DECISION_TIMEOUT = "48h"

-- Where the request stops waiting: these events are emitted by the
-- opportunity plugin with the approval's id as their subject.
local DECISIONS = { "approval.level_approved", "approval.approved", "approval.rejected", "approval.cancelled" }
local AFTER_DECISION = {
  ["approval.level_approved"] = "assign_next_level",
  ["approval.approved"] = "finished",
  ["approval.rejected"] = "finished",
  ["approval.cancelled"] = "finished",
}

-- The request's amount in ROUTES_CURRENCY, at today's rate.
local function routed_amount(approval)
  if approval.currency == nil or approval.currency == ROUTES_CURRENCY then return approval.amount end
  local rate = crm.call("opportunity.exchange_rate", { currency = approval.currency })
  return approval.amount * rate.rate
end

local function approvers_for(amount)
  for _, route in ipairs(ROUTES) do
    if amount <= route.up_to then return route.approvers end
  end
  return ROUTES[#ROUTES].approvers
end

local function user(id)
  return crm.call("auth.users_get", { id = id })
end

-- The active manager of a user, or nil.
local function manager_of(user_id)
  local manager_id = user(user_id).managerId
  if manager_id == nil then return nil end
  local manager = user(manager_id)
  if manager.active then return manager.id end
  return nil
end

-- The first active ADMIN who is not in `avoid` (a set of user ids), or nil.
local function an_admin(avoid)
  local admins = crm.call("auth.users_list", { role = "ADMIN", active = true, limit = 200 }).items
  for _, admin in ipairs(admins) do
    if not avoid[admin.id] then return admin.id end
  end
  return nil
end

-- Who approves the next level of `approval` when the route says `kind`.
local function approver_for(kind, approval)
  if kind == "manager" then
    local manager = manager_of(approval.requesterId)
    if manager then return manager end
  end
  local earlier = { [approval.requesterId] = true }
  for _, entry in ipairs(approval.history) do
    if entry.approverId then earlier[entry.approverId] = true end
  end
  local admin = an_admin(earlier) or an_admin({ [approval.requesterId] = true }) or an_admin({})
  if admin == nil then error("there is no active ADMIN to approve " .. approval.id) end
  return admin
end

-- Who takes over a level its approver did not decide in time: the approver's
-- manager, else an ADMIN other than the approver and the requester; nil when
-- there is nobody above.
local function successor_of(approval)
  local manager = manager_of(approval.currentApproverId)
  if manager and manager ~= approval.requesterId then return manager end
  return an_admin({ [approval.currentApproverId] = true, [approval.requesterId] = true })
end

return workflow "deal_approval" {
  trigger = on_event "approval.requested",
  start = "route",
  states = {
    -- The route the amount takes.
    route = function(ctx)
      local approval = ctx.input.data
      ctx.vars.id = approval.id
      ctx.vars.approvers = approvers_for(routed_amount(approval))
      return "assign_next_level"
    end,

    -- The next level goes to its approver. A request that already has one (a
    -- restored request) just waits for its decision.
    assign_next_level = function(ctx)
      local approval = crm.call("opportunity.get", { id = ctx.vars.id })
      if approval.status ~= "PENDING" then return "finished" end
      if approval.currentApproverId then return "awaiting_decision" end
      local level = approval.level + 1
      local levels = math.max(approval.requiredLevels or #ctx.vars.approvers, level)
      local kind = ctx.vars.approvers[level] or ctx.vars.approvers[#ctx.vars.approvers]
      local assigned = crm.call("opportunity.assign", {
        id = approval.id,
        level = level,
        requiredLevels = levels,
        approverId = approver_for(kind, approval),
      })
      if assigned.status ~= "PENDING" then return "finished" end
      return "awaiting_decision"
    end,

    awaiting_decision = wait {
      event = DECISIONS,
      key = "id",
      on_event = AFTER_DECISION,
      timeout = DECISION_TIMEOUT,
      on_timeout = "escalate",
    },

    -- Nobody decided in time: the level goes one step up.
    escalate = function(ctx)
      local approval = crm.call("opportunity.get", { id = ctx.vars.id })
      if approval.status ~= "PENDING" then return "finished" end
      -- Decided just as the time ran out: on to the next level.
      if not approval.currentApproverId then return "assign_next_level" end
      local successor = successor_of(approval)
      if successor == nil then return "awaiting_decision_at_the_top" end
      local escalated = crm.call("opportunity.assign", {
        id = approval.id,
        level = approval.level,
        requiredLevels = approval.requiredLevels,
        approverId = successor,
        escalated = true,
      })
      if escalated.status ~= "PENDING" then return "finished" end
      if not escalated.changed then return "assign_next_level" end
      return "awaiting_decision"
    end,

    -- Nobody is above the approver: no more deadline, an ADMIN can still decide.
    awaiting_decision_at_the_top = wait {
      event = DECISIONS,
      key = "id",
      on_event = AFTER_DECISION,
    },

    finished = function(ctx)
      return nil
    end,
  },
}
