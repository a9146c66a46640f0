# Build stage: the same tools the scripts install, pinned to the same versions.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# cargo-leptos with the vendored splitter that groups the lazy pages' shared code (vendor/README.md).
COPY vendor/wasm_split_cli_support vendor/wasm_split_cli_support
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.11 --locked --ignore-rust-version --features no_downloads \
      --config 'patch.crates-io.wasm_split_cli_support.path="/app/vendor/wasm_split_cli_support"' \
 && cargo install wasm-bindgen-cli --version 0.2.130
ENV WASM_SPLIT_GROUPS=book_page,manage_booking_page,talk_page
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund
ENV PATH="/app/end2end/node_modules/.bin:${PATH}"
COPY . .
RUN cargo leptos build --release --split --precompress

# Runtime stage: the server binary and the built site, nothing else.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app crm
WORKDIR /app
COPY --from=build /app/target/release/crm /app/crm
# The client's content-hashed file names, read from beside the binary.
COPY --from=build /app/target/release/hash.txt /app/hash.txt
COPY --from=build /app/target/site /app/site
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    DATABASE_URL=sqlite:///app/data/crm.db
RUN mkdir -p /app/data && chown crm /app/data
USER crm
EXPOSE 3000
STOPSIGNAL SIGTERM
CMD ["/app/crm"]
