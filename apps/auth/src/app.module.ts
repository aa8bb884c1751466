import { Module, type DynamicModule } from '@nestjs/common';
import { AuthController } from './auth.controller.js';
import { CustomerService } from './customers/customer.service.js';
import { KeyRing } from './signing/key-ring.js';
import { TokenService } from './tokens/token.service.js';
import { TokenStore } from './tokens/token.store.js';
import { PasswordHasher } from './users/password-hasher.js';
import { UserRepository } from './users/user.repository.js';

export interface AuthModuleDeps {
  keyRing: KeyRing;
  users: UserRepository;
  tokens: TokenStore;
  hasher: PasswordHasher;
}

@Module({})
export class AuthModule {
  static forRoot(deps: AuthModuleDeps): DynamicModule {
    return {
      module: AuthModule,
      controllers: [AuthController],
      providers: [
        TokenService,
        CustomerService,
        { provide: KeyRing, useValue: deps.keyRing },
        { provide: UserRepository, useValue: deps.users },
        { provide: TokenStore, useValue: deps.tokens },
        { provide: PasswordHasher, useValue: deps.hasher },
      ],
    };
  }
}
