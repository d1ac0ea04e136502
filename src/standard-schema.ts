// The Standard Schema v1 interface (https://standardschema.dev), written out here so that no schema
// library is a dependency of kitaru: zod, valibot, arktype and others implement it.

/** A path segment of an issue, as an object. */
export interface StandardPathSegment {
  readonly key: PropertyKey;
}

/** One problem a schema found in a value. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | StandardPathSegment> | undefined;
}

/** The result of a successful validation: the (possibly transformed) value. */
export interface StandardSuccess<Output> {
  readonly value: Output;
  readonly issues?: undefined;
}

/** The result of a failed validation: its issues. */
export interface StandardFailure {
  readonly issues: ReadonlyArray<StandardIssue>;
}

/** What `validate` returns (or resolves to). */
export type StandardResult<Output> = StandardSuccess<Output> | StandardFailure;

/** The `~standard` property of a schema. */
export interface StandardProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  /** Type-only: the schema's input and output types. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/**
 * Any Standard Schema v1 object, such as a zod, valibot or arktype schema.
 * @example const answer = await wait({ schema: z.object({ approved: z.boolean() }) });
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardProps<Input, Output>;
}

/** The type a schema's successful validation gives. */
export type InferSchemaOutput<S extends StandardSchemaV1> = NonNullable<S['~standard']['types']>['output'];
