"""Contacts: one person per e-mail address across connectors, several identities per source.

Identity: the match key is the e-mail address, lower-cased and trimmed. In one integration a
contact may be known by the system's own id (a WooCommerce customer id) and, where the system
has none (a guest's order), by the alias ``email:<address>``. A change of e-mail arriving under
the system's id moves the record to the new address (or onto the record that already has it);
an alias always follows the address.
"""

from __future__ import annotations

from connect_hub.canonical import Canonical, Contact
from connect_hub.datatypes.base import DataTypePolicy
from connect_hub.manifest import DataType


class ContactPolicy(DataTypePolicy):
    data_type = DataType.CONTACTS

    def describe(self, obj: Canonical) -> str:
        assert isinstance(obj, Contact)
        return f"contact {obj.email}"
