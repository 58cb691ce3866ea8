"""The part of Shopify's Admin GraphQL schema the sandbox shop serves, as SDL.

Names, arguments, input objects, payloads and error codes are Shopify's (Admin
API 2026-xx); only the fields the platform and its tests use are here, so a
request that selects anything else is refused by GraphQL validation the way
Shopify refuses an unknown field. ``inventorySetQuantities`` changed in
2026-04: ``changeFromQuantity`` must then be given for every quantity (null
opts out of the compare-and-swap) and ``compareQuantity`` /
``ignoreCompareQuantity`` are gone; :func:`schema_for` serves each version its
shape.
"""

import re
from decimal import Decimal, InvalidOperation
from functools import cache

from graphql import GraphQLError, GraphQLSchema, build_schema

# The first version where changeFromQuantity replaced compareQuantity (Shopify changelog,
# "New compare and swap syntax for the inventorySetQuantities mutation", effective 2026-04).
CHANGE_FROM_QUANTITY_VERSION = "2026-04"
VERSION_PATTERN = re.compile(r"^(20\d\d-(01|04|07|10)|unstable)$")

_COMMON = """
scalar Money
scalar DateTime

type Query {
  product(id: ID!): Product
  products(first: Int!, after: String, query: String): ProductConnection!
  productVariants(first: Int!, after: String, query: String): ProductVariantConnection!
  inventoryItem(id: ID!): InventoryItem
  locations(first: Int!, after: String, query: String): LocationConnection!
}

type Mutation {
  productSet(
    input: ProductSetInput!, synchronous: Boolean = true, identifier: ProductSetIdentifiers
  ): ProductSetPayload
  productVariantsBulkUpdate(
    productId: ID!, variants: [ProductVariantsBulkInput!]!, allowPartialUpdates: Boolean = false
  ): ProductVariantsBulkUpdatePayload
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
}

type PageInfo { hasNextPage: Boolean! endCursor: String }

type Product {
  id: ID!
  title: String!
  handle: String!
  status: ProductStatus!
  vendor: String!
  productType: String!
  options: [ProductOption!]!
  variants(first: Int!, after: String): ProductVariantConnection!
  createdAt: DateTime!
  updatedAt: DateTime!
}
enum ProductStatus { ACTIVE ARCHIVED DRAFT }
type ProductOption { id: ID! name: String! position: Int! values: [String!]! }
type ProductConnection { nodes: [Product!]! edges: [ProductEdge!]! pageInfo: PageInfo! }
type ProductEdge { cursor: String! node: Product! }

type ProductVariant {
  id: ID!
  title: String!
  sku: String
  barcode: String
  price: Money!
  product: Product!
  inventoryItem: InventoryItem!
  selectedOptions: [SelectedOption!]!
  inventoryQuantity: Int
  updatedAt: DateTime!
}
type SelectedOption { name: String! value: String! }
type ProductVariantConnection {
  nodes: [ProductVariant!]! edges: [ProductVariantEdge!]! pageInfo: PageInfo!
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }

type InventoryItem {
  id: ID!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
  inventoryLevels(first: Int!): InventoryLevelConnection!
}
type InventoryLevel {
  id: ID! location: Location! quantities(names: [String!]!): [InventoryQuantity!]!
}
type InventoryLevelConnection { nodes: [InventoryLevel!]! pageInfo: PageInfo! }
type InventoryQuantity { name: String! quantity: Int! updatedAt: DateTime }
type Location { id: ID! name: String! isActive: Boolean! }
type LocationConnection { nodes: [Location!]! pageInfo: PageInfo! }

input ProductSetIdentifiers { id: ID handle: String }
input ProductSetInput {
  id: ID
  title: String
  handle: String
  descriptionHtml: String
  vendor: String
  productType: String
  status: ProductStatus
  productOptions: [OptionSetInput!]
  variants: [ProductVariantSetInput!]
}
input OptionSetInput { id: ID name: String position: Int values: [OptionValueSetInput!] }
input OptionValueSetInput { id: ID name: String }
input ProductVariantSetInput {
  id: ID
  optionValues: [VariantOptionValueInput!]!
  sku: String
  barcode: String
  price: Money
  compareAtPrice: Money
  taxable: Boolean
  inventoryItem: InventoryItemInput
  inventoryQuantities: [ProductSetInventoryInput!]
}
input VariantOptionValueInput { id: ID name: String optionId: ID optionName: String }
input InventoryItemInput { sku: String tracked: Boolean requiresShipping: Boolean }
input ProductSetInventoryInput { locationId: ID! name: String! quantity: Int! }
input ProductVariantsBulkInput {
  id: ID
  price: Money
  compareAtPrice: Money
  barcode: String
  taxable: Boolean
  inventoryItem: InventoryItemInput
  optionValues: [VariantOptionValueInput!]
}

type ProductSetPayload {
  product: Product
  productSetOperation: ProductSetOperation
  userErrors: [ProductSetUserError!]!
}
type ProductSetOperation { id: ID! status: ProductOperationStatus! product: Product }
enum ProductOperationStatus { ACTIVE COMPLETE CREATED }
type ProductSetUserError { field: [String!] message: String! code: ProductSetUserErrorCode }
enum ProductSetUserErrorCode {
  GENERIC_ERROR BLANK INVALID INVALID_INPUT INVALID_PRODUCT INVALID_VARIANT
  PRODUCT_DOES_NOT_EXIST PRODUCT_VARIANT_DOES_NOT_EXIST OPTION_DOES_NOT_EXIST
  VARIANTS_OVER_LIMIT TOO_LONG
}

type ProductVariantsBulkUpdatePayload {
  product: Product
  productVariants: [ProductVariant!]
  userErrors: [ProductVariantsBulkUpdateUserError!]!
}
type ProductVariantsBulkUpdateUserError {
  field: [String!] message: String! code: ProductVariantsBulkUpdateUserErrorCode
}
enum ProductVariantsBulkUpdateUserErrorCode {
  PRODUCT_DOES_NOT_EXIST PRODUCT_VARIANT_DOES_NOT_EXIST PRODUCT_VARIANT_ID_MISSING
  INVALID_INPUT GREATER_THAN_OR_EQUAL_TO TOO_LONG
}

type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}
type InventoryAdjustmentGroup {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes: [InventoryChange!]!
}
type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  item: InventoryItem
  location: Location
}
type InventorySetQuantitiesUserError {
  field: [String!] message: String! code: InventorySetQuantitiesUserErrorCode
}
enum InventorySetQuantitiesUserErrorCode {
  INVALID_INVENTORY_ITEM INVALID_LOCATION INVALID_NAME INVALID_REASON
  INVALID_QUANTITY_TOO_HIGH INVALID_QUANTITY_TOO_LOW ITEM_NOT_STOCKED_AT_LOCATION
  CHANGE_FROM_QUANTITY_STALE CHANGE_FROM_QUANTITY_REQUIRED
  COMPARE_QUANTITY_REQUIRED COMPARE_QUANTITY_STALE
  NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR
}
"""

_QUANTITIES_BEFORE_2026_04 = """
input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  ignoreCompareQuantity: Boolean = false
  quantities: [InventoryQuantityInput!]!
}
input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  compareQuantity: Int
  changeFromQuantity: Int
}
"""

_QUANTITIES_FROM_2026_04 = """
input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  quantities: [InventoryQuantityInput!]!
}
input InventoryQuantityInput {
  inventoryItemId: ID!
  locationId: ID!
  quantity: Int!
  changeFromQuantity: Int
}
"""


def needs_change_from_quantity(version: str) -> bool:
    """True when ``version`` requires ``changeFromQuantity`` on every quantity."""
    return version == "unstable" or version >= CHANGE_FROM_QUANTITY_VERSION


def schema_for(version: str) -> GraphQLSchema:
    return _schema(needs_change_from_quantity(version))


@cache
def _schema(change_from_quantity: bool) -> GraphQLSchema:
    quantities = _QUANTITIES_FROM_2026_04 if change_from_quantity else _QUANTITIES_BEFORE_2026_04
    schema = build_schema(_COMMON + quantities)
    money = schema.type_map["Money"]
    money.serialize = str
    money.parse_value = parse_money
    money.parse_literal = lambda node, _variables=None: parse_money(getattr(node, "value", None))
    date_time = schema.type_map["DateTime"]
    date_time.serialize = str
    return schema


def parse_money(value) -> str:
    """Shopify's Money input: a decimal given as a string (or a number); kept as a string."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise GraphQLError(f"Money must be a decimal string, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise GraphQLError(f"Money must be a decimal string, got {value!r}") from None
    if not amount.is_finite():
        raise GraphQLError(f"Money must be a decimal string, got {value!r}")
    return str(value)
