-- Reassignment: moves everything one user owns to another, then tells both
-- users and their manager. Started by an ADMIN, or a MANAGER for its own
-- team, with POST /api/sagas/reassignment {fromUserId, toUserId, dryRun?};
-- user_offboarding starts it as its child.
--
-- What moves, a step each, in this order:
--   customers   the customers fromUserId owns
--   meetings    its meetings still to come
--   tasks       its OPEN tasks
--   approvals   the PENDING approvals it requested or has to decide
-- Each step moves a batch of BATCH records per call (its own transaction) and
-- records every record it moved under the step's transfer, named after the
-- instance. When a later step finally fails, the completed ones are undone by
-- moving back exactly the records of their transfer (not everything toUserId
-- owns), and the instance ends COMPENSATED; `retry` runs it again.
--
-- An edit of this file is live after the hot reload and applies to new runs.
--
-- Records per batch. Each batch is one call, one transaction, and locks only
-- the records it moves (the leaving user's) while it runs. Every call also
-- costs a fixed number of round trips, which on a busy small machine weigh
-- more than the rows: scripts/bench/sagas (10,000 customers, 20,000 tasks,
-- 5,000 meetings, 500 approvals) took 15.6 s with 1,000 a batch and 3.3-6.1 s
-- with 5,000 on 2 busy shared cores; 1.7-1.9 s on 2 idle ones, its longest
-- batch under 0.5 s, while other users' reads kept a p99 under 16 ms.
local BATCH = 5000

-- How often a step is tried before the saga gives up and compensates.
local RETRY = { attempts = 5, delay = "2s" }

local function user(id)
  return crm.call("auth.users_get", { id = id })
end

-- The step's input: move from -> to, a batch at a time, under its transfer.
local function moving(kind)
  return function(ctx)
    return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId,
             transfer = ctx.instance .. ":" .. kind, limit = BATCH }
  end
end

-- The compensation's input: back what the transfer recorded, a batch at a time.
local function moving_back(kind)
  return function(ctx) return { transfer = ctx.instance .. ":" .. kind, limit = BATCH } end
end

local function moved(ctx, step)
  local result = ctx.results[step]
  return result and result.count or 0
end

local function plural(n, one, many)
  return tostring(n) .. " " .. (n == 1 and one or many)
end

-- "3 customers, 1 meeting, 12 tasks and no approvals"
local function summary(ctx)
  local parts = {
    plural(moved(ctx, "customers"), "customer", "customers"),
    plural(moved(ctx, "meetings"), "meeting", "meetings"),
    plural(moved(ctx, "tasks"), "task", "tasks"),
    plural(moved(ctx, "approvals"), "approval", "approvals"),
  }
  return table.concat(parts, ", ", 1, 3) .. " and " .. parts[4]
end

-- The notifications at the end: the new owner, the old one (when it can still
-- sign in) and the old owner's manager, each once.
local function notifications(ctx)
  local from, to = user(ctx.input.fromUserId), user(ctx.input.toUserId)
  local what = summary(ctx)
  local out, told = {}, {}
  local function tell(id, kind, title, body)
    if id == nil or told[id] then return end
    told[id] = true
    out[#out + 1] = { userId = id, kind = kind, title = title, body = body,
                      resourceType = "user", resourceId = ctx.input.fromUserId }
  end
  tell(to.id, "REASSIGNMENT_RECEIVED", "Records of " .. from.name .. " were reassigned to you",
       what .. " are now yours.")
  if from.active then
    tell(from.id, "REASSIGNMENT_DONE", "Your records were reassigned to " .. to.name,
         what .. " now belong to " .. to.name .. ".")
  end
  if from.managerId then
    tell(from.managerId, "REASSIGNMENT_DONE", "Records of " .. from.name .. " were reassigned to " .. to.name,
         what .. " moved from " .. from.name .. " to " .. to.name .. ".")
  end
  return { key = ctx.instance, notifications = out }
end

-- Whether `id` names a user, and the user.
local function look_up(id)
  local found, failure = crm.try_call("auth.users_get", { id = id })
  if found then return found end
  if failure.status == "NOT_FOUND" or failure.status == "INVALID" then return nil end
  error(failure.message)
end

return saga "reassignment" {
  trigger = manual,
  api = {
    roles = "ADMIN,MANAGER",
    team = { "fromUserId", "toUserId" },
    check = function(input)
      local errors = {}
      for _, field in ipairs({ "fromUserId", "toUserId" }) do
        if type(input[field]) ~= "string" or input[field] == "" then
          errors[#errors + 1] = { field = field, message = "is required" }
        end
      end
      if #errors > 0 then return errors end
      if input.fromUserId == input.toUserId then
        return { { field = "toUserId", message = "must differ from fromUserId" } }
      end
      if look_up(input.fromUserId) == nil then
        errors[#errors + 1] = { field = "fromUserId", message = "is not a user" }
      end
      local to = look_up(input.toUserId)
      if to == nil then
        errors[#errors + 1] = { field = "toUserId", message = "is not a user" }
      elseif not to.active then
        errors[#errors + 1] = { field = "toUserId", message = "is not active: records can only go to an active user" }
      end
      return errors
    end,
    -- What a run would move now, per kind; nothing changes.
    dry_run = function(input)
      local owner = { userId = input.fromUserId }
      local activity = crm.call("sales.count_owned", owner)
      local approvals = crm.call("opportunity.count_owned", owner)
      return {
        customers = crm.call("customer.count_owned", owner).customers,
        meetings = activity.meetings,
        tasks = activity.tasks,
        approvals = approvals.requested + approvals.approving,
      }
    end,
  },
  steps = {
    step "customers" {
      call = "customer.reassign_owner", compensate = "customer.reassign_back", batched = true,
      input = moving("customers"), compensate_input = moving_back("customers"), retry = RETRY,
    },
    step "meetings" {
      call = "sales.reassign_meetings", compensate = "sales.reassign_back", batched = true,
      input = moving("meetings"), compensate_input = moving_back("meetings"), retry = RETRY,
    },
    step "tasks" {
      call = "sales.reassign_tasks", compensate = "sales.reassign_back", batched = true,
      input = moving("tasks"), compensate_input = moving_back("tasks"), retry = RETRY,
    },
    step "approvals" {
      call = "opportunity.reassign", compensate = "opportunity.reassign_back", batched = true,
      input = moving("approvals"), compensate_input = moving_back("approvals"), retry = RETRY,
    },
    step "notify" {
      call = "analytics.notify",
      input = notifications,
      retry = RETRY,
    },
  },
}
