"""Who may read a conversation: team-scoped reading for agents.

An agent reads the conversations of their own teams, the ones no team holds, and the ones
they own; an admin reads all, and so does an agent without teams (a generalist). A
deployment that wants every agent to read everything says so (``console_read_all_teams``).
A security incident routed to one team is then not open to the whole desk.
"""

from __future__ import annotations

from handoff.model import Agent, Conversation


def may_read(agent: Agent, conversation: Conversation, *, all_teams: bool = False) -> bool:
    """Whether ``agent`` may read ``conversation``.

    Args:
        agent: the agent asking.
        conversation: the conversation.
        all_teams: the deployment lets every agent read every team's conversations.

    Returns:
        True when the agent may see its transcript and details.
    """
    return (
        all_teams
        or agent.is_admin
        or not agent.teams
        or conversation.owner_agent_id == agent.id
        or conversation.team is None
        or conversation.team in agent.teams
    )
