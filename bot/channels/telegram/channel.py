"""The Telegram channel: one PTB ``Application`` for the bot, our own intake, and its lifecycle.

The ``Application`` owns the bot and its HTTP connections (``initialize`` checks the token
with ``getMe``); its handler machinery is not used. ``Application.process_update`` hands
errors to error handlers instead of raising, and the intake must know whether an update
was stored before it confirms it to Telegram (see :mod:`bot.channels.telegram.poller`). So every
update goes through :meth:`TelegramChannel.receive`, which dispatches on the values of
:mod:`bot.channels.telegram.updates`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Collection
from typing import Any, Literal

import httpx
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.channels.telegram.delivery import BUTTON_REF_PREFIX, TelegramDelivery
from bot.channels.telegram.formatting import FormattedText, split_formatted
from bot.channels.telegram.lead import PollerLead
from bot.channels.telegram.limits import RateLimiter
from bot.channels.telegram.poller import ALLOWED_UPDATES, Poller
from bot.channels.telegram.staff import StaffGroup
from bot.channels.telegram.updates import (
    CHANNEL,
    ButtonPress,
    CustomerEdit,
    CustomerMessage,
    StaffMessage,
    translate,
)
from bot.channels.throttle import Clock, SlidingWindow
from bot.errors import ConfigError, MessageRejected
from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from handoff.attachments import MAX_BYTES, NewAttachment
from handoff.errors import AttachmentRefused, StoreUnavailable
from handoff.office_hours import zone
from handoff.store.port import Store

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
Mode = Literal["polling", "webhook"]


def build_application(token: str, api_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """A PTB application for ``token`` talking to the Bot API at ``api_url`` (".../bot").

    No updater (we fetch ourselves) and no job queue (timers live elsewhere).
    """
    # PTB 22 warns on every RetryAfter unless durations are opted in as timedeltas, which
    # is the future default; our code reads both (delivery.retry_after_s).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # PTB's own defaults (a pool of 256 connections, one for getUpdates; the builder's
    # timeout and pool setters no longer apply once the requests are given), with one TLS
    # context for both clients instead of one each: building one reads the whole CA
    # bundle (20-30 ms).
    tls = {"verify": httpx.create_ssl_context()}
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url(api_url))
        .request(HTTPXRequest(httpx_kwargs=tls))
        .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls))
        .updater(None)
        .job_queue(None)
        .build()
    )


def file_url(api_url: str) -> str:
    """Where the Bot API at ``api_url`` (".../bot") serves files: ".../file/bot"."""
    root = api_url.removesuffix("/bot") if api_url.endswith("/bot") else api_url.rstrip("/")
    return f"{root}/file/bot"


class TelegramChannel:
    """Customers on Telegram (and, optionally, the staff group), in polling or webhook mode.

    Args:
        application: from :func:`build_application`.
        runtime: handles customer messages and agents' actions.
        store: for edits and reachability.
        delivery: sends replies; the runtime must have it registered for "telegram".
        mode: "polling" (our fetch loop) or "webhook" (Telegram posts to ``webhook_url``).
        webhook_url: the public URL of the webhook route (webhook mode).
        webhook_secret: what Telegram must send in ``X-Telegram-Bot-Api-Secret-Token``.
        staff: the staff group, when one is configured.
        poll_timeout_s: long-polling wait of one ``getUpdates``.
        poll_retry_s: the pause before polling again after an error (Telegram's or the
            database's), and before a standby asks for the polling lead again.
        flood_messages: how many messages (and button presses) one chat may send in
            ``flood_window_s`` seconds before the bot stops answering them; beyond it they
            are stored unanswered and the bot says so once per window. A chat cannot be
            refused on Telegram, and answering a flood would hold up every other chat
            behind Telegram's one reply a second per chat.
        flood_window_s: the flood limit's window.
        clock: a monotonic clock in seconds, for the flood limit (tests inject one).
    """

    def __init__(
        self,
        *,
        application: Application[Any, Any, Any, Any, Any, Any],
        runtime: Runtime,
        store: Store,
        delivery: TelegramDelivery,
        mode: Mode = "polling",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        staff: StaffGroup | None = None,
        poll_timeout_s: int = 30,
        poll_retry_s: float = 5.0,
        flood_messages: int = 10,
        flood_window_s: float = 10.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if mode == "webhook" and (not webhook_url or not webhook_secret):
            raise ConfigError(
                "telegram_mode = webhook needs public_url and telegram_webhook_secret"
            )
        self._app = application
        self._runtime = runtime
        self._store = store
        self.delivery = delivery
        self.mode = mode
        self._webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.staff = staff
        self._poller = Poller(
            application.bot, self.receive, timeout_s=poll_timeout_s, retry_s=poll_retry_s
        )
        # Several processes on one PostgreSQL database: only the lead's holder polls.
        self.poller_lead = PollerLead(store, self._poller, retry_s=poll_retry_s)
        self._task: asyncio.Task[None] | None = None
        self._flood = SlidingWindow(limit=flood_messages, window_s=flood_window_s, clock=clock)
        # Who was told about the flood limit in the current window (once each).
        self._told = SlidingWindow(limit=1, window_s=flood_window_s, clock=clock)

    async def announce(self, chat_id: int, text: str) -> None:
        """Post a status notice to an announcement channel or group (plain text, split).

        Raises:
            DeliveryFailed: Telegram refused it.
        """
        for piece in split_formatted(FormattedText(text)):
            await self.delivery.send(chat_id, piece)

    async def start(self) -> None:
        """Check the token, then start polling or register the webhook.

        Raises:
            InvalidToken: Telegram does not know the token.
        """
        await self._app.initialize()
        bot = self._app.bot
        if self.staff is not None:
            self.staff.start()
        if self.mode == "webhook":
            await bot.set_webhook(
                url=str(self._webhook_url),
                secret_token=self.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("telegram: webhook registered at %s", self._webhook_url)
            return
        # getUpdates fails while a webhook is set; pending updates stay with Telegram.
        await bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self.poller_lead.run(), name="telegram-poller")
        log.info("telegram: polling as @%s (when this process holds the lead)", bot.username)

    async def stop(self) -> None:
        """Stop polling and close the bot's connections (idempotent)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.staff is not None:
            await self.staff.stop()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()

    async def receive_json(self, data: dict[str, Any]) -> None:
        """Handle an update as Telegram posts it to the webhook. Raises StoreUnavailable."""
        try:
            update = Update.de_json(data, self._app.bot)
        except (KeyError, TypeError, ValueError):
            # Telegram would post a malformed update forever; acknowledge and log it.
            log.exception("telegram webhook: not an update")
            return
        await self.receive(update)

    async def receive(self, update: Update) -> None:
        """Handle one update; return only once it is stored (and answered).

        An update that fails for any reason other than the store is logged and dropped,
        so that one malformed update cannot stop the intake.

        Raises:
            StoreUnavailable: the database could not store it; Telegram must send it again.
        """
        try:
            await self._dispatch(update)
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("telegram update %s could not be handled", update.update_id)

    async def _dispatch(self, update: Update) -> None:
        staff_chat = self.staff.chat_id if self.staff is not None else None
        inbound = translate(update, staff_chat_id=staff_chat)
        if isinstance(inbound, CustomerMessage):
            await self._customer_message(await self._with_file(inbound))
        elif isinstance(inbound, ButtonPress):
            await self._button_press(inbound)
        elif isinstance(inbound, CustomerEdit):
            await self._edit(inbound)
        elif isinstance(inbound, StaffMessage) and self.staff is not None:
            await self.staff.receive(inbound)

    async def _customer_message(self, incoming: IncomingMessage) -> None:
        # Storing the message also clears the customer's unreachable flag: they write
        # again, so they unblocked the bot.
        try:
            if self._flood.hit(incoming.sender_id):
                await self._runtime.handle(incoming)
            else:
                log.info("telegram chat over the flood limit: message stored, not answered")
                await self._runtime.hold(incoming, tell=self._told.hit(incoming.sender_id))
        except MessageRejected as exc:
            log.info("telegram message refused: %s", exc.reason)

    async def _with_file(self, inbound: CustomerMessage) -> IncomingMessage:
        """The customer's message with their photo or document kept as an attachment.

        A file we do not keep (not an image or a PDF by its content, too large, or not
        to be fetched) leaves the message as it was: the bot says it reads text.
        """
        file, incoming = inbound.file, inbound.incoming
        if file is None:
            return incoming
        if file.size is not None and file.size > MAX_BYTES:
            log.info("telegram file refused: %d bytes", file.size)
            return incoming
        try:
            remote = await self._app.bot.get_file(file.file_id)
            data = bytes(await remote.download_as_bytearray())
            checked = NewAttachment.check(data, file.name)
        except AttachmentRefused as exc:
            log.info("telegram file refused: %s", exc.reason)
            return incoming
        except TelegramError as exc:
            log.warning("telegram file could not be fetched: %s", exc.message)
            return incoming
        customer = await self._store.upsert_customer(
            channel=CHANNEL, external_id=incoming.sender_id, display_name=incoming.display_name
        )
        ref = await self._store.add_attachment(customer.id, checked)
        return dataclasses.replace(incoming, text=file.caption, payload=None, attachments=(ref,))

    async def _button_press(self, press: ButtonPress) -> None:
        try:
            incoming = await self._resolve_button(press.incoming)
            await self._customer_message(incoming)
        finally:
            # Always answer, or the customer's button keeps spinning; a redelivered press
            # is too old to answer, which Telegram says with a BadRequest.
            try:
                await self._app.bot.answer_callback_query(press.callback_id)
            except TelegramError as exc:
                log.info("telegram: callback query not answered: %s", exc.message)

    async def _resolve_button(self, incoming: IncomingMessage) -> IncomingMessage:
        """Swap a long button's reference (see delivery.callback_data) for its payload."""
        payload = incoming.payload or ""
        if not payload.startswith(BUTTON_REF_PREFIX):
            return incoming
        message_id, _, index = payload.removeprefix(BUTTON_REF_PREFIX).partition(":")
        customer = await self._store.find_customer(channel=CHANNEL, external_id=incoming.sender_id)
        if customer is None or not message_id.isdigit() or not index.isdigit():
            return incoming
        found = await self._store.customer_messages(customer.id, after_id=int(message_id) - 1)
        if not found or found[0].id != int(message_id) or int(index) >= len(found[0].buttons):
            return incoming
        button = found[0].buttons[int(index)]
        return IncomingMessage(
            channel=incoming.channel,
            sender_id=incoming.sender_id,
            external_id=incoming.external_id,
            text=button.title,
            display_name=incoming.display_name,
            payload=button.payload,
        )

    async def _edit(self, edit: CustomerEdit) -> None:
        customer = await self._store.find_customer(channel=CHANNEL, external_id=edit.sender_id)
        if customer is None:
            return
        message = await self._store.find_message_by_ref(customer.id, edit.reference)
        if message is None:
            return  # edited before it reached us, or from before Helpline
        await self._store.record_edit(message.id, edit.text)


def build_channel(
    *,
    token: str,
    api_url: str,
    mode: Mode,
    runtime: Runtime,
    store: Store,
    public_url: str | None = None,
    webhook_secret: str | None = None,
    staff_chat_id: int | None = None,
    teams: Collection[str] = (),
    read_all_teams: bool = False,
    hidden_teams: Collection[str] = (),
    limiter: RateLimiter | None = None,
    poll_timeout_s: int = 30,
    poll_retry_s: float = 5.0,
    flood_messages: int = 10,
    flood_window_s: float = 10.0,
    clock: Clock = time.monotonic,
    time_zone: str = "UTC",
) -> TelegramChannel:
    """Wire the Telegram channel and register its delivery with the runtime.

    With a staff group (``staff_chat_id``), the group also listens to the runtime, so
    its topics mirror what happens in the console; ``teams`` are the desk's team ids, and
    ``read_all_teams`` lets every agent act on every team's conversations, and
    ``hidden_teams`` are kept out of the group.

    Raises:
        ConfigError: webhook mode without a public URL or a secret.
    """
    application = build_application(token, api_url)
    delivery = TelegramDelivery(application.bot, store, limiter=limiter or RateLimiter())
    runtime.register_delivery(CHANNEL, delivery)
    staff = None
    if staff_chat_id is not None:
        staff = StaffGroup(
            bot=application.bot,
            chat_id=staff_chat_id,
            runtime=runtime,
            store=store,
            delivery=delivery,
            teams=teams,
            read_all_teams=read_all_teams,
            hidden_teams=hidden_teams,
            time_zone=zone(time_zone),
        )
        runtime.add_listener(staff)
    webhook_url = f"{public_url.rstrip('/')}{WEBHOOK_PATH}" if public_url else None
    return TelegramChannel(
        application=application,
        runtime=runtime,
        store=store,
        delivery=delivery,
        mode=mode,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        staff=staff,
        poll_timeout_s=poll_timeout_s,
        poll_retry_s=poll_retry_s,
        flood_messages=flood_messages,
        flood_window_s=flood_window_s,
        clock=clock,
    )
