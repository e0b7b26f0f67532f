-- User offboarding: when an ADMIN deletes a user (DELETE /api/auth/users/{id},
-- which deactivates it and emits user.deleted), everything the user owns goes
-- to its successor through the reassignment saga, started as this instance's
-- child; then the user's tokens are revoked.
--
-- The successor is the one the ADMIN named (?reassignTo=), else the user's
-- manager (auth puts either in the event as reassignTo), else an active ADMIN.
--
-- A reassignment that does not complete (it was compensated, or failed) keeps
-- this instance waiting for it: once an ADMIN has fixed the cause and retried
-- the child, the offboarding goes on by itself.

local function an_admin(other_than)
  local admins = crm.call("auth.users_list", { role = "ADMIN", active = true, limit = 200 }).items
  for _, admin in ipairs(admins) do
    if admin.id ~= other_than then return admin.id end
  end
  return nil
end

return workflow "user_offboarding" {
  trigger = on_event "user.deleted",
  start = "reassign",
  states = {
    reassign = function(ctx)
      local deleted = ctx.input.data
      local successor = deleted.reassignTo or an_admin(deleted.userId)
      if successor == nil then error("nobody can take over the records of " .. deleted.userId) end
      ctx.vars.userId = deleted.userId
      ctx.vars.reassignTo = successor
      ctx.vars.child = crm.start("reassignment", {
        fromUserId = deleted.userId,
        toUserId = successor,
        requestedBy = ctx.input.event.actor,
      })
      return "reassigning"
    end,

    reassigning = wait {
      event = "workflow.finished",
      key = "child",
      match = "subject",
      on_event = "reassigned",
    },

    reassigned = function(ctx)
      local finished = ctx.event.data
      if finished.status ~= "COMPLETED" then
        crm.log("the reassignment " .. ctx.vars.child .. " ended " .. tostring(finished.status) ..
                ": waiting for it to be retried")
        return "reassigning"
      end
      return "revoke_tokens"
    end,

    revoke_tokens = function(ctx)
      crm.call("auth.revoke_tokens", { userId = ctx.vars.userId })
      return nil
    end,
  },
}
