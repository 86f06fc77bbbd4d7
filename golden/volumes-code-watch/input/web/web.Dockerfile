FROM node:20-alpine AS dev
WORKDIR /usr/src/app
COPY package.json ./
RUN npm install
COPY . .

FROM nginx:1.27 AS prod
COPY --from=dev /usr/src/app/public /usr/share/nginx/html
