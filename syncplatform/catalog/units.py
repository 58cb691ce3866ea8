"""Which units of measure a material may carry (E1MARMM MEINH, E1MARAM MEINS).

A unit is known when it is one of the SAP unit codes below (SAP's internal
codes for the ISO/UN-ECE Rec. 20 units a retailer's master data uses) or the
ERP side of any active unit code mapping (Mappings > Code mappings, type
``unit``): a retailer with its own units adds a mapping instead of a release.
Anything else refuses the material, naming the unit.
"""

from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping

SAP_UNITS = frozenset(
    {
        "EA",
        "ST",
        "PC",
        "PCE",
        "PAK",
        "PK",
        "PAC",
        "CS",
        "CAR",
        "KAR",
        "BOX",
        "BX",
        "CT",
        "PAL",
        "DZ",
        "PR",
        "SET",
        "BT",
        "BTL",
        "CAN",
        "TUB",
        "ROL",
        "BAG",
        "KG",
        "G",
        "MG",
        "LB",
        "OZ",
        "TO",
        "L",
        "ML",
        "CL",
        "HL",
        "GAL",
        "M",
        "CM",
        "MM",
        "KM",
        "M2",
        "M3",
        "CM3",
        "FT",
        "IN",
        "YD",
        "H",
        "MIN",
        "D",
    }
)


def known_units() -> frozenset[str]:
    mapped = CodeMapping.objects.in_force().filter(code_type=CodeType.UNIT)
    return SAP_UNITS | frozenset(mapped.values_list("erp_code", flat=True))
