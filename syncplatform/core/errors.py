"""Domain errors that need a person, as opposed to connector errors (connectors.errors)."""


class NeedsPerson(Exception):
    """The work cannot succeed until someone changes something (a mapping, a payload).

    The transaction runner fails the transaction with ``code`` and the message.
    """

    code = "needs_person"
