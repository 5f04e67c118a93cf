// NestJS (Express platform) + a JWT guard + sentry-request-user.
// Run: npm run build && SENTRY_DSN=<your DSN> node --import ./examples/nestjs/instrument.mjs examples/nestjs/app.mjs
// Try: TOKEN=$(node -e "console.log(require('jsonwebtoken').sign({ sub: 'u-1', email: 'ada@example.com' }, 'example-only-secret'))")
//      curl -H "Authorization: Bearer $TOKEN" -H 'X-Forwarded-For: 198.51.100.7' http://127.0.0.1:3002/account/orders/7
//
// Nest runs guards *after* all middleware, so sentryUser() — global Express middleware — never sees the user while
// the request passes it. It does not need to: the user (`req.user`, set by the guard) is read when an event is
// captured, here by the global exception filter or by Sentry.captureMessage in a controller.
//
// Plain JavaScript, so it runs without a build: `decorate()` below applies Nest's decorators exactly as TypeScript's
// `@Controller('account') @UseGuards(JwtAuthGuard) class …` / `@Get('orders/:id') order(@Param('id') id)` compile to.
import 'reflect-metadata';
import * as Sentry from '@sentry/node';
import { Catch, Controller, Get, HttpException, Module, Param, UnauthorizedException, UseGuards } from '@nestjs/common';
import { BaseExceptionFilter, NestFactory } from '@nestjs/core';
import jwt from 'jsonwebtoken';
import { sentryUser } from 'sentry-request-user/express';

function decorate(target, classDecorators, methodDecorators = {}) {
  for (const [name, decorators] of Object.entries(methodDecorators)) {
    const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
    Object.defineProperty(target.prototype, name, Reflect.decorate(decorators, target.prototype, name, descriptor));
  }
  return Reflect.decorate(classDecorators, target);
}
const param = (index, decorator) => (target, key) => decorator(target, key, index);

/** Does what `AuthGuard('jwt')` from @nestjs/passport with passport-jwt does: verify the token, set `req.user`. */
class JwtAuthGuard {
  canActivate(context) {
    const req = context.switchToHttp().getRequest();
    try {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      req.user = jwt.verify(token, process.env.JWT_SECRET ?? 'example-only-secret', { algorithms: ['HS256'] });
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

class AccountController {
  order(id) {
    throw new Error(`order ${id}: payment backend timed out`);
  }
  hello() {
    Sentry.captureMessage('hello from a signed-in Nest user');
    return 'hello\n';
  }
}
decorate(AccountController, [Controller('account'), UseGuards(JwtAuthGuard)], {
  order: [Get('orders/:id'), param(0, Param('id'))],
  hello: [Get('hello')],
});

/** Report unexpected errors (not 4xx HttpExceptions, as @sentry/nestjs's SentryGlobalFilter), then answer as Nest does. */
class SentryExceptionFilter extends BaseExceptionFilter {
  catch(exception, host) {
    if (!(exception instanceof HttpException) || exception.getStatus() >= 500) Sentry.captureException(exception);
    super.catch(exception, host);
  }
}
decorate(SentryExceptionFilter, [Catch()]);

class AppModule {}
decorate(AppModule, [Module({ controllers: [AccountController] })]);

const app = await NestFactory.create(AppModule); // the Express platform
// One reverse proxy in front: Express believes the last X-Forwarded-For entry, and sentryUser() follows this setting.
app.set('trust proxy', 1);
// Global middleware, before any route. (The demo may run this file with SENTRY_REQUEST_USER=off to compare.)
if (process.env.SENTRY_REQUEST_USER !== 'off') app.use(sentryUser());
app.useGlobalFilters(new SentryExceptionFilter(app.getHttpAdapter()));

await app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1');
console.log(`nestjs example listening on http://127.0.0.1:${app.getHttpServer().address().port}`);
process.on('SIGTERM', () => app.close().then(() => Sentry.flush(2000)).then(() => process.exit(0)));
