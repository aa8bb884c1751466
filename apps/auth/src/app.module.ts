import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { ApiKeyStore } from './api-keys/api-key.store.js';
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
  apiKeys: ApiKeyStore;
  audit: AuditLog;
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
        ApiKeyService,
        { provide: ApiKeyStore, useValue: deps.apiKeys },
        { provide: AuditLog, useValue: deps.audit },
        { provide: KeyRing, useValue: deps.keyRing },
        { provide: UserRepository, useValue: deps.users },
        { provide: TokenStore, useValue: deps.tokens },
        { provide: PasswordHasher, useValue: deps.hasher },
      ],
    };
  }
}
