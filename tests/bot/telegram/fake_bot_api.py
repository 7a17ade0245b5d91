"""A local fake of the Telegram Bot API, served over HTTP on 127.0.0.1 (port 0).

It speaks just enough of the Bot API for Helpline and refuses everything else: an unknown
method answers 404 and is recorded in ``unknown``, which the fixture asserts is empty.

* ``getUpdates`` keeps Telegram's offset semantics: updates below the offset are
  confirmed and dropped; the rest are delivered again until confirmed. With a timeout
  it waits (long polling) until an update arrives.
* Sent and edited messages are recorded in ``sent`` (chat, topic, text, entities,
  keyboard) in the order the fake accepted them, each with the moment it arrived;
  ``nth_sent`` waits for a chat's next message (the load benchmark's customers do).
* Files: ``add_file`` makes a file that ``getFile`` names and ``/file/bot<token>/<path>``
  serves (any other id or path is refused); ``sendPhoto`` and ``sendDocument`` record
  the bytes they were sent in ``Sent.file``.
* ``fail(method, ...)`` makes the next call of a method answer an error (429 with
  ``retry_after``, 403, 400, a migrated chat); ``hold(method)`` makes calls wait until
  ``release`` (to stop a process between two steps).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT_ID = 4242
BOT_USERNAME = "helpline_test_bot"
# Form fields PTB sends JSON-encoded, and the ones that are integers.
_JSON_FIELDS = {"reply_markup", "entities", "allowed_updates", "link_preview_options"}
_INT_FIELDS = {"chat_id", "offset", "limit", "timeout", "message_id", "message_thread_id"}


@dataclass
class Sent:
    """A message the bot sent (or edited), as the fake recorded it."""

    method: str
    chat_id: int
    text: str
    message_id: int
    thread_id: int | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file: bytes | None = None
    file_name: str | None = None
    # When the fake accepted it (``time.perf_counter``), for latencies measured from outside.
    received_at: float = field(default_factory=time.perf_counter, compare=False)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(title, callback data) of each inline button."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Failure:
    """An error answer for the next call of a method."""

    status: int
    description: str
    parameters: dict[str, Any] | None = None
    chat_id: int | None = None  # only calls to this chat fail


class FakeBotApi:
    """The fake server's state and its HTTP app."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.history: dict[int, dict[str, Any]] = {}
        self.confirmed_offset = 0
        self.sent: list[Sent] = []
        self._sent_by_chat: dict[int, list[Sent]] = {}
        self._sent_news: dict[int, asyncio.Event] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.unknown: list[str] = []
        self.held = 0
        self.webhook: dict[str, Any] | None = None
        self.topics: dict[int, str] = {}
        self._failures: dict[str, list[Failure]] = {}
        self._holds: dict[str, asyncio.Event] = {}
        self.arrived: dict[str, asyncio.Event] = {}
        self._new_update = asyncio.Event()
        self._offset_moved = asyncio.Condition()
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._topic_ids = itertools.count(500)
        self._file_ids = itertools.count(1)
        self.files: dict[str, tuple[str, bytes]] = {}  # file id -> (path, content)
        self.base_url = ""
        self._methods = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._true,
            "sendChatAction": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "getFile": self._get_file,
            "sendPhoto": self._send_file,
            "sendDocument": self._send_file,
        }
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    # Test controls -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``) with this error."""
        self._failures.setdefault(method, []).extend(
            [Failure(status, description, parameters, chat_id)] * times
        )

    def hold(self, method: str) -> asyncio.Event:
        """Make calls of ``method`` wait (unrecorded) until :meth:`release`; returns the
        event set when the first such call arrives."""
        self._holds[method] = asyncio.Event()
        self.arrived[method] = asyncio.Event()
        return self.arrived[method]

    def release(self, method: str) -> None:
        """Let held calls of ``method`` proceed."""
        self._holds.pop(method).set()

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update (its id is assigned here) and return the id."""
        update_id = next(self._update_ids)
        self.history[update_id] = {"update_id": update_id, **update}
        self.updates.append(self.history[update_id])
        self._new_update.set()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queue an update again, unchanged (Telegram resends unconfirmed updates)."""
        self.updates.append(self.history[update_id])
        self._new_update.set()

    def push_text(self, chat_id: int, text: str, *, first_name: str = "Ada") -> int:
        """A customer writes ``text`` in their private chat."""
        return self.push({"message": self.message(chat_id, text=text, first_name=first_name)})

    def message(
        self,
        chat_id: int,
        *,
        first_name: str = "Ada",
        message_id: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A private-chat message object with the given content fields."""
        return {
            "message_id": message_id if message_id is not None else next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
            **content,
        }

    async def holding(self, count: int) -> None:
        """Wait until ``count`` calls are held."""
        async with self._offset_moved:
            await self._offset_moved.wait_for(lambda: self.held >= count)

    async def confirmed(self, update_id: int) -> None:
        """Wait until a ``getUpdates`` offset confirmed ``update_id``."""
        async with self._offset_moved:
            await self._offset_moved.wait_for(lambda: self.confirmed_offset > update_id)

    async def nth_sent(self, chat_id: int, index: int) -> Sent:
        """Wait until ``chat_id`` was sent more than ``index`` messages; return that one.

        ``index`` counts ``sendMessage`` calls to the chat from 0, as :meth:`sent_to` lists
        them. One event per chat, so a thousand waiting chats do not all wake on each send.
        """
        while len(chat_sent := self._sent_by_chat.get(chat_id, [])) <= index:
            await self._sent_news.setdefault(chat_id, asyncio.Event()).wait()
        return chat_sent[index]

    def sent_to(self, chat_id: int) -> list[Sent]:
        """Messages sent to one chat, in order."""
        return [s for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    def add_file(self, content: bytes, *, name: str = "file") -> str:
        """A file a customer uploaded to Telegram; returns its file id."""
        file_id = f"file-{next(self._file_ids)}"
        self.files[file_id] = (f"documents/{file_id}-{name}", content)
        return file_id

    def files_to(self, chat_id: int) -> list[Sent]:
        """Photos and documents sent to one chat, in order."""
        return [s for s in self.sent if s.chat_id == chat_id and s.file is not None]

    def called(self, method: str) -> list[dict[str, Any]]:
        """The parameters of each call of ``method``."""
        return [params for name, params in self.calls if name == method]

    # HTTP --------------------------------------------------------------------------

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        handler = self._methods.get(method)
        if handler is None:
            self.unknown.append(method)
            return _error(404, "Not Found")
        if method in self._holds:
            async with self._offset_moved:
                self.held += 1
                self._offset_moved.notify_all()
            self.arrived[method].set()
            await self._holds[method].wait()
            if await request.is_disconnected():
                self.held -= 1
                return _error(499, "the client went away")  # never reaches anyone
        self.calls.append((method, params))
        failures = self._failures.get(method, [])
        for failure in failures:
            if failure.chat_id is None or failure.chat_id == params.get("chat_id"):
                failures.remove(failure)
                return _error(failure.status, failure.description, failure.parameters)
        try:
            return JSONResponse({"ok": True, "result": await handler(params)})
        except _Refused as refused:
            return _error(refused.status, refused.description)

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        found = [
            content for path, content in self.files.values() if path == request.path_params["path"]
        ]
        if not found:
            self.unknown.append(f"file {request.path_params['path']}")
            return _error(404, "Not Found")
        return Response(found[0], media_type="application/octet-stream")

    async def _get_file(self, params: dict[str, Any]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise _Refused(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _send_file(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        upload = params.get("photo", params.get("document"))
        if not isinstance(upload, tuple):
            raise _Refused(400, "Bad Request: there is no file in the request")
        name, content = upload
        method = "sendPhoto" if "photo" in params else "sendDocument"
        sent = Sent(
            method=method,
            chat_id=chat_id,
            text=str(params.get("caption") or ""),
            message_id=next(self._message_ids),
            file=content,
            file_name=name,
        )
        self.sent.append(sent)
        return {"message_id": sent.message_id, "date": int(time.time()), "chat": _chat(chat_id)}

    async def _true(self, params: dict[str, Any]) -> Any:
        return True

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Helpline",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:
            async with self._offset_moved:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._offset_moved.notify_all()
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not self.updates and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        return self.updates[:limit]

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        sent = Sent(
            method="sendMessage",
            chat_id=chat_id,
            text=str(params["text"]),
            message_id=next(self._message_ids),
            thread_id=params.get("message_thread_id"),
            entities=params.get("entities") or [],
            reply_markup=params.get("reply_markup"),
        )
        self.sent.append(sent)
        self._sent_by_chat.setdefault(chat_id, []).append(sent)
        news = self._sent_news.pop(chat_id, None)
        if news is not None:
            news.set()
        result = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "text": sent.text,
        }
        if sent.reply_markup:
            result["reply_markup"] = sent.reply_markup
        return result

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        self.sent.append(
            Sent("editMessageText", chat_id, str(params["text"]), int(params["message_id"]))
        )
        return {
            "message_id": int(params["message_id"]),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "text": str(params["text"]),
        }

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _create_forum_topic(self, params: dict[str, Any]) -> Any:
        topic = next(self._topic_ids)
        self.topics[topic] = str(params["name"])
        return {"message_thread_id": topic, "name": params["name"], "icon_color": 7322096}

    async def _edit_forum_topic(self, params: dict[str, Any]) -> Any:
        self.topics[int(params["message_thread_id"])] = str(params["name"])
        return True


class _Refused(Exception):
    """A request the real Bot API would refuse (an unknown file id, a missing file)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}
    return {"id": chat_id, "type": "private", "first_name": "Ada"}


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        loaded: dict[str, Any] = json.loads(await request.body() or b"{}")
        return loaded
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, UploadFile):
            params[key] = (value.filename or "", await value.read())
            await value.close()
            continue
        text = str(value)
        if key in _JSON_FIELDS:
            params[key] = json.loads(text)
        elif key in _INT_FIELDS:
            params[key] = int(text)
        else:
            params[key] = text
    return params


@contextlib.asynccontextmanager
async def serving(fake: FakeBotApi) -> AsyncIterator[FakeBotApi]:
    """Serve ``fake`` on 127.0.0.1 (a free port) for the duration of the block."""
    config = uvicorn.Config(fake.app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}/bot"
    try:
        yield fake
    finally:
        for event in fake._holds.values():
            event.set()
        fake._new_update.set()
        server.should_exit = True
        await task
