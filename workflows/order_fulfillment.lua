-- Order fulfillment: what happens to an order once it is placed
-- (POST /api/orders emits order.placed in the order's transaction).
--
--   order         the order as placed (items, total, payment token, address)
--   reserve       its items' stock, all or nothing          -> RESERVED
--   charge        its total, through the payment provider    -> PAID
--   in parallel:  the confirmation notification, and the shipment
--   shipped       with its tracking number                   -> SHIPPED
--   commit        the reserved units leave the stock for good
--
-- When a step fails for good, the steps done are undone in reverse: the
-- shipment cancelled, the charge refunded, the stock released; last, the
-- first step's undo ends the order FAILED with the reason (or CANCELLED when
-- its owner cancelled it meanwhile). So a FAILED or CANCELLED order never
-- holds stock or an uncompensated charge.
--
-- Reasons: OUT_OF_STOCK (the reservation was refused), PAYMENT_DECLINED (the
-- provider said no: never retried), PAYMENT_UNAVAILABLE (the provider kept
-- timing out, or its circuit stayed open, through every retry).
--
-- A cancel request (POST /api/orders/{id}/cancel) is seen by the next
-- orders.advance, which refuses: the saga then compensates as above.
--
-- Every call has its own idempotency key, and every operation here is also
-- idempotent by the order id, so a host killed at any point resumes the saga
-- elsewhere without charging, reserving or shipping twice.

-- Transient failures (a peer restarting, a dropped connection) are retried
-- with a growing delay; anything else fails the step at once.
local TRANSIENT = { attempts = 5, delay = "200ms", backoff = 2, max_delay = "5s", on = { "UNAVAILABLE" } }

-- The provider's timeouts: four tries, 0.5 s, 1 s, 2 s apart (each try waits
-- for the provider's own timeout, plugin.payments.timeout_ms).
local PAYMENT = { attempts = 4, delay = "500ms", backoff = 2, max_delay = "10s", on = { "UNAVAILABLE" } }

local function order_id(ctx)
  return ctx.input.data.orderId
end

local function the_order(ctx)
  return { orderId = order_id(ctx) }
end

-- The reason an order failed, from the failure that stopped the saga.
local function failure_reason(failure)
  local message = failure and failure.message or ""
  for _, reason in ipairs({ "OUT_OF_STOCK", "PAYMENT_DECLINED", "PAYMENT_UNAVAILABLE" }) do
    if string.find(message, reason, 1, true) then return reason end
  end
  if failure and failure.step == "reserve" and failure.status == "CONFLICT" then return "OUT_OF_STOCK" end
  if failure and failure.step == "charge" then
    return failure.status == "CONFLICT" and "PAYMENT_DECLINED" or "PAYMENT_UNAVAILABLE"
  end
  return "FULFILLMENT_FAILED"
end

-- orders.advance's input: the order moves on to `status` because of `event`.
local function advance(status, event, extra)
  return function(ctx)
    local input = { orderId = order_id(ctx), status = status, event = event }
    if extra then
      for k, v in pairs(extra(ctx)) do input[k] = v end
    end
    return input
  end
end

return saga "order_fulfillment" {
  trigger = on_event "order.placed",
  steps = {
    step "order" {
      call = "orders.begin", compensate = "orders.fail",
      input = the_order,
      compensate_input = function(ctx)
        return { orderId = order_id(ctx), reason = failure_reason(ctx.failure) }
      end,
      retry = TRANSIENT,
    },
    step "reserve" {
      call = "inventory.reserve", compensate = "inventory.release",
      input = function(ctx)
        return { reservation = order_id(ctx), items = ctx.results.order.items }
      end,
      compensate_input = function(ctx) return { reservation = order_id(ctx) } end,
      retry = TRANSIENT,
    },
    step "reserved" {
      call = "orders.advance", input = advance("RESERVED", "stock.reserved"), retry = TRANSIENT,
    },
    step "charge" {
      call = "payments.charge", compensate = "payments.refund",
      input = function(ctx)
        local order = ctx.results.order
        return { orderId = order.orderId, amount = order.total, currency = order.currency,
                 token = order.paymentToken }
      end,
      compensate_input = the_order,
      retry = PAYMENT,
    },
    step "paid" {
      call = "orders.advance",
      input = advance("PAID", "payment.charged", function(ctx) return { chargeId = ctx.results.charge.chargeId } end),
      retry = TRANSIENT,
    },
    parallel {
      step "confirmation" { call = "orders.confirm", input = the_order, retry = TRANSIENT },
      step "shipment" {
        call = "shipping.create", compensate = "shipping.cancel",
        input = function(ctx)
          return { orderId = order_id(ctx), address = ctx.results.order.shippingAddress }
        end,
        compensate_input = the_order,
        retry = TRANSIENT,
      },
    },
    step "shipped" {
      call = "orders.advance",
      input = advance("SHIPPED", "shipment.created", function(ctx)
        local shipment = ctx.results.shipment
        return { trackingNumber = shipment.trackingNumber, carrier = shipment.carrier }
      end),
      retry = TRANSIENT,
    },
    -- Last: once the order is SHIPPED nothing after it may fail for good, so
    -- this only retries (a reservation commits once whatever the retries).
    step "commit" {
      call = "inventory.commit",
      input = function(ctx) return { reservation = order_id(ctx) } end,
      retry = { attempts = 20, delay = "500ms", backoff = 2, max_delay = "30s" },
    },
  },
}
